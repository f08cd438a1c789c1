/**
 * Three costs of tests (docs/architecture.md):
 *   unit         no database, no network
 *   integration  a real PostgreSQL (embedded, started once in globalSetup)
 *   e2e          the real `artillery` CLI through the pack's commands
 */
const ts = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: { warnOnly: false } }];
// light-my-request (Fastify's inject) requires the ESM-only `cookie` 2.x, which Node 20.19+ loads
// natively but Jest's module system cannot: compile just that file to CommonJS for tests.
const esmToCjs = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node', target: 'ES2022' }, isolatedModules: true }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ts, '/node_modules/(.+/)?cookie/dist/.+\\.js$': esmToCjs },
  transformIgnorePatterns: ['/node_modules/(?!(light-my-request/node_modules/)?cookie/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // it.concurrent (the e2e runs judged on correctness alone) go two at a time on a 2-core machine.
  maxConcurrency: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], maxWorkers: 1 },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], maxWorkers: 1 },
  ],
};
