// Mutation testing of the core domain (`npm run test:mutation`; README, Development: mutation testing).
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
    'shared/subscriptions/parseChannel.ts',
    'shared/subscriptions/parseStatus.ts',
    'shared/subscriptions/subscriptionStructure.ts',
    'shared/ingest/routes/**/*.ts',
    'shared/healthlake/**/*.ts',
    'shared/fhirClient/NodeSha256.ts',
    'shared/messages/**/*.ts',
    'shared/runtime/delivererConfig.ts',
    'shared/replication/**/*.ts',
    'shared/payloadSearch/**/*.ts',
    'shared/backfill/**/*.ts',
    // A barrel of re-exports: no behaviour to mutate.
    '!shared/backfill/index.ts',
    'shared/reconcile/**/*.ts',
    'shared/operator/**/*.ts',
  ],
  testRunner: 'vitest',
  // Only the fast unit tests of these folders; no e2e, no Synthea corpus, no differential oracle.
  // related (default): a --mutate subset runs only the test files that import it.
  vitest: { configFile: 'vitest.stryker.config.ts' },
  // The vitest runner always measures coverage per test: each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would each rerun every test; skip them.
  ignoreStatic: true,
  // No TypeScript checker by default: on 2 cores it costs 1.6 s of CPU per mutant (more than running
  // the tests), which would take a full run past two hours. Vitest strips types, so a mutant that would
  // not compile still runs and counts as killed or survived: the score is if anything stricter.
  // `npm run test:mutation:typed` adds the checker (on the domain-only tsconfig) for bigger machines.
  checkers: [],
  tsconfigFile: 'tsconfig.mutation.json',
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
