// Mutation testing of the core domain (`npm run test:mutation`; README, Development).
// Not part of `npm test` or CI: a full run takes tens of minutes on 2 cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'shared/criteria/**/*.ts',
    // Generated data and the script that writes it: no behaviour to mutate.
    '!shared/criteria/r4SearchParameters.generated.ts',
    '!shared/criteria/generateSearchParameterTable.ts',
    'shared/delivery/**/*.ts',
    'shared/versions/**/*.ts',
    'shared/subscriptions/endpoints.ts',
    'shared/subscriptions/parseSubscription.ts',
    'shared/ingest/routes/**/*.ts',
    'shared/healthlake/**/*.ts',
  ],
  testRunner: 'vitest',
  // Only the fast unit tests of these folders; no e2e, no Synthea corpus, no differential oracle.
  // related (default): a --mutate subset runs only the test files that import it.
  vitest: { configFile: 'vitest.stryker.config.ts' },
  // The vitest runner always measures coverage per test: each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would each rerun every test; skip them.
  ignoreStatic: true,
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Results of the last run are reused for unchanged code and tests. Kept out of git (reports/):
  // a fresh clone does one full run, later runs only test what changed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['progress', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
