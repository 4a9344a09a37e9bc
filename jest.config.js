/** Jest under native ESM (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  cacheDirectory: '<rootDir>/.jest-cache',
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['**/*.spec.ts'],
  // CommonJS add-ons (e.g. @nestjs/throttler) need Nest loaded first under ESM.
  setupFiles: ['<rootDir>/test/setup/preload.ts'],
  // Test databases are created and migrated once per run, not per file.
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  testTimeout: 30_000,
  // Most of the run is waiting (timers, outages, PostgreSQL): two workers overlap the waits.
  maxWorkers: 2,
  // A failing teardown (an app left open) must end the run, not hang CI.
  forceExit: true,
};
