/**
 * Architecture rules, checked by `npm run lint`. Arrows point down the house: the top
 * (main, app.module, schemas) assembles; applications (web, admin, bot) use the modules
 * (identity, session) and the shared floors (redis, database, config, common); nothing
 * points back up.
 */
const FOLDERS = '(web|admin|bot|identity|session|redis|health|metrics)';

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
      name: 'modules-know-no-application',
      comment:
        'identity/ and session/ are importable modules: they know no application of this product.',
      severity: 'error',
      from: { path: '^src/(identity|session)/' },
      to: { path: '^src/(web|admin|bot|config|health|app\\.|main|schemas)' },
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
      from: { path: '^src/session/' },
      to: { path: '^node_modules/(@redis|redis|@keyv|cache-manager)' },
    },
    {
      name: 'examples-use-only-the-module-doors',
      comment:
        'The example host app stands for another NestJS app: it may use identity/ and session/ through their doors only.',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^src/', pathNot: '^src/(identity|session)/index\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
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
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
