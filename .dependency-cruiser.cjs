/**
 * Architecture rules, checked by `npm run lint`. An application folder (web, admin, bot)
 * is reached by others only through its module's public surface (index.ts); shared
 * folders never reach into applications.
 */
const APPLICATIONS = '(web|admin|bot|identity|session)';

module.exports = {
  forbidden: [
    {
      name: 'no-reaching-into-another-application',
      comment:
        'One application may use another only through its public surface (src/<app>/index.ts), never its internals.',
      severity: 'error',
      from: { path: `^src/${APPLICATIONS}/` },
      to: {
        path: `^src/${APPLICATIONS}/`,
        pathNot: [`^src/$1/`, `^src/${APPLICATIONS}/index\\.ts$`],
      },
    },
    {
      name: 'shared-code-stays-generic',
      comment: 'common/, config/ and redis/ hold no business logic and know no application.',
      severity: 'error',
      from: { path: '^src/(common|config|redis)/' },
      to: { path: `^src/${APPLICATIONS}/` },
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
      to: { path: '^(test|bench)/' },
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
