import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackfillWorkerHandler } from '../../../lambdas/backfill-worker/createBackfillWorkerHandler.js';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import type { WorkMessage } from '../../../shared/backfill/types.js';
import { ENV } from '../../../shared/config/constants.js';
import { readEnv } from '../../../shared/config/envVar.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { createSourceReader } from '../../../shared/runtime/createSourceReaderFromEnv.js';
import { SOURCE_FHIR_ENV } from '../../../shared/runtime/sourceFhirEnv.js';
import { startHugePageSource, type HugePageSource } from '../../helpers/hugeSourcePage.js';
import { activeSubscription, createPipeline, fakeSubscriptions } from '../../shared/backfill/harness.js';

const MiB = 1024 * 1024;
const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const record = (body: WorkMessage): SQSRecord =>
  ({
    messageId: 'm1',
    receiptHandle: 'rh',
    body: JSON.stringify(body),
    attributes: {},
  }) as unknown as SQSRecord;

describe('Backfill worker: a source answering a 400 MiB page', () => {
  let source: HugePageSource;
  beforeAll(async () => {
    source = await startHugePageSource({ totalBytes: 400 * MiB });
  });
  afterAll(async () => {
    await source?.stop();
  });

  it('stops reading at SOURCE_FHIR_MAX_RESPONSE_BYTES, keeps memory bounded and fails the job with the cap as its cause', async () => {
    // The source reader as the Lambda builds it, from its environment contract.
    const values = readEnv(
      SOURCE_FHIR_ENV,
      {
        [ENV.sourceFhirBaseUrl]: source.baseUrl,
        [ENV.sourceFhirAuth]: 'none',
        [ENV.sourceFhirRequestsPerSecond]: '0',
        [ENV.sourceFhirMaxResponseBytes]: String(4 * MiB),
      },
      'backfill source',
    );
    const jobs = new InMemoryJobStore();
    const queue = new InMemoryWorkQueue();
    const subscriptions = fakeSubscriptions({ 'sub-1': { status: 'active', criteria: '[Patient]' } });
    const { pipeline, healthLake } = createPipeline([activeSubscription('sub-1', '[Patient]')]);
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'backfill-worker' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
    const handler = createBackfillWorkerHandler({
      jobs,
      queue,
      subscriptions,
      source: () => createSourceReader(values, { getSecret: async () => '' }),
      pipeline,
      compileCriteria,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    await handleBackfillRequest(
      {
        method: 'POST',
        path: 'Subscription/sub-1/$trigger-subscription',
        query: {},
        headers: {},
        requestId: 'r',
        baseUrl: 'https://c.test/fhir',
        body: { resourceType: 'Parameters', parameter: [{ name: 'searchUrl', valueString: 'Patient?' }] },
      },
      { jobs, queue, subscriptions, newJobId: () => 'job-1' },
    );

    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const response = await handler({ Records: [record(queue.messages.shift() as WorkMessage)] }, context);
      expect(response.batchItemFailures).toEqual([]);
      await source.answered();
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);

    const job = await jobs.get('job-1');
    expect(job?.state).toBe('failed');
    expect(job?.reason).toContain(`more than ${4 * MiB} bytes`);
    expect(job?.reason).toContain('maxResponseBytes');
    expect(job?.reason).not.toContain('huge-');
    expect(healthLake.current.size).toBe(0);
    // The source could hand over only what the socket buffers take beyond the cap: far from 400 MiB.
    expect(source.bytesWritten()).toBeLessThan(32 * MiB);
    expect(peak - before).toBeLessThan(64 * MiB);
  });
});
