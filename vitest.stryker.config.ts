import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The fast unit tests of the folders under mutation (stryker.config.mjs). Every mutant runs the
// tests that reach it, so slow suites here multiply: the e2e, Lambda integration, Synthea corpus,
// medplum differential and validation-definition suites are left to `npm test`.
// (Not mergeConfig: it would append to the base `include` instead of replacing it.)
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/shared/criteria/{CriteriaIndex,compileCriteria,dateRange,rejections,searchParameterTable}.test.ts',
      'test/shared/delivery/*.test.ts',
      'test/shared/versions/*.test.ts',
      'test/shared/subscriptions/{parseSubscription,endpoints,handleSubscriptionRequest}.test.ts',
      'test/shared/ingest/{createIngestRouter,DefaultWritePipeline}.test.ts',
      'test/shared/healthlake/*.test.ts',
    ],
    env: { HLC_TEST_SKIP_SYNTHEA: '1' },
  },
});
