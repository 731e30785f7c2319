import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  METRIC_NAMES,
  createBackfillWorkerHandler,
  handler as lambdaHandler,
} from '../../../lambdas/backfill-worker/handler.js';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import type { WorkMessage } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { PermanentSourceError } from '../../../shared/fhirClient/errors.js';
import {
  activeSubscription,
  createPipeline,
  fakeSubscriptions,
  listSource,
  patient,
} from '../../shared/backfill/harness.js';

const context = {
  functionName: 'backfill-worker',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const record = (id: string, body: unknown): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:backfill',
    awsRegion: 'us-east-1',
  }) as unknown as SQSRecord;

const setup = async () => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const subscriptions = fakeSubscriptions({ 'sub-1': { status: 'active', criteria: '[Patient]' } });
  const { pipeline, healthLake } = createPipeline([activeSubscription('sub-1', '[Patient]')]);
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'backfill-worker' });
  const added = vi.spyOn(metrics, 'addMetric');
  vi.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
  const handler = createBackfillWorkerHandler({
    jobs,
    queue,
    subscriptions,
    source: listSource(
      Array.from({ length: 6 }, (_, i) => patient(`p${i}`)),
      3,
    ),
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
      body: {
        resourceType: 'Parameters',
        parameter: [{ name: 'searchUrl', valueString: 'Patient?active=true' }],
      },
    },
    { jobs, queue, subscriptions, newJobId: () => 'job-1' },
  );
  return { jobs, queue, handler, added, healthLake };
};

describe('createBackfillWorkerHandler', () => {
  it('processes each record as one page and reports only the records that failed', async () => {
    const { queue, handler, added, jobs } = await setup();
    const first = queue.messages.shift() as WorkMessage;
    const event: SQSEvent = {
      Records: [record('m1', first), record('m2', 'not json'), record('m3', { jobId: 'x', task: 'nope' })],
    };
    const response = await handler(event, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3']);
    expect((await jobs.get('job-1'))?.counts.read).toBe(3);
    expect(queue.messages).toHaveLength(1);
    expect(added).toHaveBeenCalledWith(METRIC_NAMES.read, 'Count', 3);
    expect(added).toHaveBeenCalledWith(METRIC_NAMES.enqueued, 'Count', 3);
  });

  it('runs a job to completion page by page', async () => {
    const { queue, handler, jobs, healthLake } = await setup();
    for (let n = 0; queue.messages.length > 0; n += 1) {
      const message = queue.messages.shift() as WorkMessage;
      const response = await handler({ Records: [record(`m${n}`, message)] }, context);
      expect(response.batchItemFailures).toEqual([]);
    }
    expect((await jobs.get('job-1'))?.state).toBe('completed');
    expect(healthLake.current.size).toBe(6);
  });

  it('counts a job that fails on a permanent error', async () => {
    const { queue, handler, added, jobs } = await setup();
    await jobs.create({ ...(await jobs.get('job-1'))!, jobId: 'job-2', subscriptionId: 'sub-gone' });
    const message = { ...(queue.messages[0] as WorkMessage), jobId: 'job-2' };
    const response = await handler({ Records: [record('m1', message)] }, context);
    expect(response.batchItemFailures).toEqual([]);
    expect((await jobs.get('job-2'))?.state).toBe('failed');
    expect(added).toHaveBeenCalledWith(METRIC_NAMES.jobsFailed, 'Count', 1);
  });

  it('counts reads dead-lettered with their cause (a redriven read the source refuses)', async () => {
    const { jobs, queue, added } = await setup();
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'backfill-worker' });
    const counted = vi.spyOn(metrics, 'addMetric');
    vi.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
    const letters: unknown[] = [];
    const refusing = createBackfillWorkerHandler({
      jobs,
      queue,
      subscriptions: fakeSubscriptions({}),
      source: {
        ...listSource([], 3),
        read: async () => {
          throw new PermanentSourceError('Source answered HTTP 403 to a read', 403);
        },
      },
      pipeline: createPipeline([]).pipeline,
      compileCriteria,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      deadLetters: { send: async (batch) => void letters.push(...batch) },
    });
    const reread = { jobId: 'job-1', task: 'reread', searchIndex: 0, pageNumber: 0, ids: ['Patient/p1'] };
    const response = await refusing({ Records: [record('m1', reread)] }, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(letters).toHaveLength(1);
    expect(counted).toHaveBeenCalledWith(METRIC_NAMES.readsDeadLettered, 'Count', 1);
    expect(added).not.toHaveBeenCalledWith(METRIC_NAMES.readsDeadLettered, 'Count', expect.anything());
  });

  it('names the missing configuration when the Lambda entry point is not configured', async () => {
    vi.stubEnv('STATE_TABLE_NAME', '');
    await expect(lambdaHandler({ Records: [] }, context)).rejects.toThrow(/STATE_TABLE_NAME/);
    vi.unstubAllEnvs();
  });
});
