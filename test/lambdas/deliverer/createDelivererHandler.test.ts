import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivererHandler } from '../../../lambdas/deliverer/createDelivererHandler.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, sqsEvent, sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

// Real Metrics objects (their single metrics are not spied on): keep their EMF lines off the test output.
vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');

const sqs = mockClient(SQSClient);

const context = {
  functionName: 'deliverer',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:deliverer',
  memoryLimitInMB: '512',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const build = () => {
  const fake = new FakeHealthLake();
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'HealthLakeConnector', serviceName: 'test' });
  const added: string[] = [];
  const values = new Map<string, number>();
  vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    added.push(name);
    values.set(name, (values.get(name) ?? 0) + value);
    return metrics;
  });
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  const handler = createDelivererHandler({
    sqs: new SQSClient({ region: 'us-east-1' }),
    ledger: new InMemoryVersionLedger(),
    delivered: new InMemoryDeliveredVersions(),
    healthLake: () => fake,
    now: Date.now,
    logger,
    metrics,
    config: {
      queueUrl: 'q.fifo',
      deadLetterQueueUrl: 'dlq.fifo',
      defaultMaxAttempts: 5,
      backoff: { baseSeconds: 0 },
      allowedEndpoints: new Set([TEST_ENDPOINT]),
    },
  });
  return { fake, handler, added, values };
};

describe('Handler: deliverer', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
  });
  afterEach(() => {
    sqs.reset();
  });

  it('reports only the failed record and the rest of its FIFO group; other groups go on', async () => {
    const { fake, handler } = build();
    fake.responder = (call) =>
      call.id === 'a' && (call.body as { meta: { versionId: string } }).meta.versionId === '2'
        ? { status: 503, latencyMs: 1 }
        : { status: 200, latencyMs: 1 };
    const records = [
      sqsRecord(deliveryMessage({ id: 'a', versionId: '1' })),
      sqsRecord(deliveryMessage({ id: 'a', versionId: '2' })),
      sqsRecord(deliveryMessage({ id: 'b', versionId: '1' })),
      sqsRecord(deliveryMessage({ id: 'a', versionId: '3' })),
      sqsRecord(deliveryMessage({ id: 'c', versionId: '1' })),
    ];
    const response = await handler(sqsEvent(records), context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[1]?.messageId,
      records[3]?.messageId,
    ]);
    expect(fake.calls.map((call) => `${call.id}`)).toEqual(expect.arrayContaining(['a', 'a', 'b', 'c']));
    expect(fake.calls).toHaveLength(4);
  });

  it('answers with an empty failure list when everything was delivered, dropped or dead-lettered', async () => {
    const { fake, handler, added } = build();
    fake.responder = (call) =>
      call.resourceType === 'Basic'
        ? {
            status: 400,
            latencyMs: 1,
            outcome: {
              resourceType: 'OperationOutcome',
              issue: [{ severity: 'error', code: 'not-supported' }],
            },
          }
        : call.id === 'bad'
          ? { status: 422, latencyMs: 1 }
          : { status: 200, latencyMs: 1 };
    const records = [
      sqsRecord(deliveryMessage({ id: 'ok' })),
      sqsRecord(deliveryMessage({ resourceType: 'Basic', id: 'x' })),
      sqsRecord(deliveryMessage({ id: 'bad' })),
      sqsRecord('not json at all'),
    ];
    const response = await handler(sqsEvent(records), context);
    expect(response.batchItemFailures).toEqual([]);
    expect(added).toEqual(expect.arrayContaining(['Delivered', 'DroppedNotSupported', 'DeadLettered']));
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('returns every record as failed, not an invocation error, when the whole batch fails', async () => {
    const { fake, handler, values } = build();
    fake.responder = () => ({ status: 500, latencyMs: 1 });
    const records = [sqsRecord(deliveryMessage({ id: 'a' })), sqsRecord(deliveryMessage({ id: 'b' }))];
    const response = await handler(sqsEvent(records), context);
    expect(response.batchItemFailures).toHaveLength(2);
    expect(values.get('Retried')).toBe(2);
  });

  it('counts access denied (its own metric, for the alarm) and keeps the messages for a retry', async () => {
    const { fake, handler, values } = build();
    fake.responder = () => ({ status: 403, latencyMs: 1, errorType: 'AccessDeniedException' });
    const records = [sqsRecord(deliveryMessage({ id: 'a' })), sqsRecord(deliveryMessage({ id: 'b' }))];
    const response = await handler(sqsEvent(records), context);
    expect(response.batchItemFailures).toHaveLength(2);
    expect(values.get('AccessDenied')).toBe(2);
    expect(values.get('Retried')).toBe(2);
    expect(values.get('DeadLettered')).toBeUndefined();
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('says at start-up, once, that an unusable allow-list delivers nothing', () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    createDelivererHandler({
      sqs: new SQSClient({ region: 'us-east-1' }),
      ledger: new InMemoryVersionLedger(),
      delivered: new InMemoryDeliveredVersions(),
      healthLake: () => new FakeHealthLake(),
      now: Date.now,
      logger,
      config: {
        queueUrl: 'q.fifo',
        deadLetterQueueUrl: 'dlq.fifo',
        defaultMaxAttempts: 5,
        allowedEndpoints: new Set(),
        allowListProblem: 'ALLOWED_HEALTHLAKE_ENDPOINTS and HEALTHLAKE_ENDPOINT are empty',
      },
    });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]?.[0]).toBe('Delivery allow-list unusable: nothing will be delivered');
  });
});
