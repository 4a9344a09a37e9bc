/**
 * Architecture rules, checked by `npm run lint`. Arrows point down the house: the top
 * (main, app.module, schemas) assembles; applications (web, admin, bot) use the identity
 * package (packages/identity: users, sessions, guards) and the shared floors (redis,
 * database, config, common); nothing points back up. The product reaches the package only
 * by its name, `@exchanger/identity`, like any other host.
 */
const FOLDERS = '(web|admin|bot|redis|health|metrics)';
/** The identity package's source; its folders are used by one another through their doors. */
const PACKAGE = 'packages/identity/src';
const PACKAGE_FOLDERS = '(identity|session|redis|background)';

module.exports = {
  forbidden: [
    {
      name: 'one-door-per-folder',
      comment:
        'A folder is used by others only through its door (src/<folder>/index.ts), never its internals.',
      severity: 'error',
      from: { path: `^src/${FOLDERS}/` },
      to: {
        path: `^src/${FOLDERS}/`,
        pathNot: [`^src/$1/`, `^src/${FOLDERS}/index\\.ts$`],
      },
    },
    {
      name: 'common-knows-no-other-folder',
      comment:
        'common/ holds names, decorators, guards and the error shape; it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    {
      name: 'database-knows-no-application',
      comment:
        'database/ builds DataSources from the schemas it is given; the registry of what each database holds is assembled at the top (src/schemas.ts).',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: '^src/', pathNot: '^src/(database|common|config)/' },
    },
    {
      name: 'shared-floors-know-no-application',
      comment: 'config/ and redis/ hold no business logic and know no application or module.',
      severity: 'error',
      from: { path: '^src/(config|redis)/' },
      to: { path: '^src/', pathNot: '^src/(config|redis|common)/' },
    },
    {
      name: 'package-knows-no-application',
      comment:
        'The identity package is installable on its own: it imports nothing of this product (src/, test/, examples/).',
      severity: 'error',
      from: { path: `^${PACKAGE}/` },
      to: { path: '^(src|test|bench|examples)/' },
    },
    {
      name: 'package-folders-use-their-doors',
      comment:
        'Inside the package, identity/, session/ and redis/ use one another only through their doors (index.ts).',
      severity: 'error',
      from: { path: `^${PACKAGE}/${PACKAGE_FOLDERS}/` },
      to: {
        path: `^${PACKAGE}/${PACKAGE_FOLDERS}/`,
        pathNot: [`^${PACKAGE}/$1/`, `^${PACKAGE}/${PACKAGE_FOLDERS}/index\\.ts$`],
      },
    },
    {
      name: 'product-uses-the-package-by-name',
      comment:
        "The product, its tests and examples import `@exchanger/identity` (its built door), never the package's source by path.",
      severity: 'error',
      from: { path: '^(src|test|bench|examples)/' },
      to: { path: '^packages/identity/', pathNot: '^packages/identity/dist/index\\.(d\\.ts|js)$' },
    },
    {
      name: 'metrics-knows-no-application',
      comment:
        'metrics/ measures the process (identity, sessions, Redis, pools); applications add their own metrics to its registry.',
      severity: 'error',
      from: { path: '^src/metrics/' },
      to: { path: '^src/(web|admin|bot|health|app\\.|main|schemas)' },
    },
    {
      name: 'session-reaches-redis-only-through-its-store',
      comment:
        'session/ speaks to Redis through the namespaced store of redis/, never a client of its own.',
      severity: 'error',
      from: { path: `^${PACKAGE}/session/` },
      to: { path: '^node_modules/(@redis|redis|@keyv|cache-manager)' },
    },
    {
      name: 'examples-use-only-the-package',
      comment:
        'The example apps stand for other NestJS apps: they use the identity package by its name, nothing of the product.',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^src/' },
    },
    {
      name: 'applications-meet-only-through-web',
      comment:
        'Admin and bot use the web application through its door (its services and order events); web uses neither, and they do not use each other.',
      severity: 'error',
      from: { path: '^src/(web|admin|bot)/' },
      to: {
        path: '^src/(web|admin|bot)/',
        pathNot: ['^src/$1/', '^src/web/index\\.ts$'],
      },
    },
    {
      name: 'web-opens-only-its-database',
      comment: 'Each application opens only its own database (database/data-sources/<name>.ts).',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/database/data-sources/(identity|admin|bot)\\.ts$' },
    },
    {
      name: 'bot-opens-only-its-database',
      comment: 'The bot reaches web data through the web services, identity through the package.',
      severity: 'error',
      from: { path: '^src/bot/' },
      to: { path: '^src/database/data-sources/(identity|admin|web)\\.ts$' },
    },
    {
      name: 'admin-opens-only-its-database',
      comment:
        'Admin reaches web data through the web services and identity through the package; the first-admin bootstrap alone takes an advisory lock on the identity database.',
      severity: 'error',
      from: { path: '^src/admin/', pathNot: '^src/admin/first-admin\\.ts$' },
      to: { path: '^src/database/data-sources/(identity|web|bot)\\.ts$' },
    },
    {
      name: 'bot-layers-point-down',
      comment:
        "The bot's layers run receive → understand → act → send: a layer imports only the layers after it (and the bot's floor: config, state, texts, cache keys, entities).",
      severity: 'error',
      from: { path: '^src/bot/understand/' },
      to: { path: '^src/bot/receive/' },
    },
    {
      name: 'bot-act-points-down',
      severity: 'error',
      from: { path: '^src/bot/act/' },
      to: { path: '^src/bot/(receive|understand)/' },
    },
    {
      name: 'bot-send-is-the-bottom-layer',
      severity: 'error',
      from: { path: '^src/bot/send/' },
      to: { path: '^src/bot/(receive|understand|act)/' },
    },
    {
      name: 'bot-floor-knows-no-layer',
      comment:
        "The bot's floor files (config, state, texts, cache keys, entities) are used by every layer and use none.",
      severity: 'error',
      from: { path: '^src/bot/(?!bot\\.module\\.ts$|index\\.ts$)[^/]+\\.ts$|^src/bot/entities/' },
      to: { path: '^src/bot/(receive|understand|act|send)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'Each example resolves its packages in its own install (npm run examples), where its own tsc checks every import.',
      severity: 'error',
      from: { pathNot: '^examples/[^/]+/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|examples)/' },
    },
  ],
  options: {
    // The package is followed in its source (linted as its own entry), not in its build.
    doNotFollow: { path: ['node_modules', '^packages/identity/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
