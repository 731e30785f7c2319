import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The unit and in-process tests of the folders under mutation (stryker.config.mjs). Each mutant runs
// only the tests that reach it, so a slow file here costs once per mutant it covers: the e2e, Lambda
// integration and Synthea suites, and the few multi-second files below, are left to `npm test`.
// (Not mergeConfig: it would append to the base `include` instead of replacing it.)
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/shared/{criteria,delivery,versions,subscriptions,ingest,healthlake,payloadSearch,messages}/**/*.test.ts',
      // The job stores and the reconcile worker have no server-free tests of their own: their dynalite
      // and stand-in suites stay in (slow, but each runs only for the mutants it reaches).
      'test/shared/{replication,backfill,reconcile,operator}/**/*.test.ts',
      'test/shared/fhirClient/NodeSha256.test.ts',
      'test/shared/runtime/delivererConfig.test.ts',
    ],
    exclude: [
      ...(base.test?.exclude ?? ['**/node_modules/**']),
      // Whole-corpus oracles: seconds each, and they reach every criteria mutant.
      'test/shared/criteria/medplumDifferential.test.ts',
      'test/shared/ingest/{validationDefinitions,resourceDefinitions,requiredBindings}.test.ts',
      // DynamoDB-backed ledger suites: each run starts dynalite, and the reset suite goes through the
      // whole router. The *.commands.test.ts files pin the same code's commands without a server.
      'test/shared/versions/{DynamoVersionLedger,resetVersion}.test.ts',
    ],
    env: { HLC_TEST_SKIP_SYNTHEA: '1' },
    // The initial run measures every test while Stryker starts its workers; dynalite suites can pass
    // 30 s on a busy machine. Each mutant run gets Stryker's own, tighter timeout.
    testTimeout: 60_000,
  },
});
