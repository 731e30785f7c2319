/**
 * A `Retry-After` far in the future, through the deliverer: handler -> HealthLakeClientPool
 * (PacedHealthLake + HealthLakeClient) -> a loopback HTTP data store that answers the first write 429
 * with `Retry-After: 86400`. The hold it puts on the instance's later writes ends within the retry
 * maximum and the time limit of the request it answered, so the next invocation still delivers in time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivererHandler } from '../../../lambdas/deliverer/createDelivererHandler.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { HealthLakeClientPool } from '../../../shared/healthlake/HealthLakeClientPool.js';
import { parseAllowedEndpoints } from '../../../shared/subscriptions/endpoints.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, sqsEvent, sqsRecord } from '../../helpers/deliveryMessages.js';

// Real Metrics objects (their single metrics are not spied on): keep their EMF lines off the test output.
vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');

const sqs = mockClient(SQSClient);
const DAY_SECONDS = 86_400;

/** A Lambda context whose remaining time counts down from `ms`. */
const contextWith = (ms: number): Context => {
  const deadline = Date.now() + ms;
  return {
    functionName: 'deliverer',
    awsRequestId: 'retry-after',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
};

describe('Deliverer: a Retry-After of a day', () => {
  let sink: Server;
  let endpoint: string;
  /** Status of each write the data store answered, in order. */
  let answered: number[];

  beforeAll(async () => {
    sink = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (answered.length === 0) {
          answered.push(429);
          response.writeHead(429, { 'retry-after': String(DAY_SECONDS), 'content-length': '0' }).end();
          return;
        }
        answered.push(200);
        response.writeHead(200, { 'content-length': '0' }).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/datastore/throttled/r4/`;
  });
  afterAll(async () => {
    sink.closeAllConnections();
    await new Promise((resolve) => sink.close(resolve));
  });
  beforeEach(() => {
    answered = [];
    sqs.on(SendMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
  });
  afterEach(() => {
    sqs.reset();
  });

  /** Two invocations of one deliverer instance, the second right after the 429 of the first. */
  const twoInvocations = async (retryMaxSeconds: number, invocationMs: number) => {
    const pool = new HealthLakeClientPool({
      credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
      region: 'us-east-1',
      connectTimeoutMs: 200,
      responseTimeoutMs: 500,
      maxRetryAfterSeconds: retryMaxSeconds,
    });
    const handler = createDelivererHandler({
      sqs: new SQSClient({ region: 'us-east-1' }),
      ledger: new InMemoryVersionLedger(),
      delivered: new InMemoryDeliveredVersions(),
      healthLake: (target) => pool.get(target),
      now: Date.now,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'HealthLakeConnector', serviceName: 'test' }),
      config: {
        queueUrl: 'q.fifo',
        deadLetterQueueUrl: 'dlq.fifo',
        defaultMaxAttempts: 5,
        backoff: { baseSeconds: 1, maxSeconds: retryMaxSeconds },
        allowedEndpoints: new Set(parseAllowedEndpoints([endpoint])),
        timeLimit: {
          connectTimeoutMs: 200,
          responseTimeoutMs: 500,
          settleReserveMs: 300,
          deferDelaySeconds: 0,
        },
      },
    });
    const invoke = async (id: string) => {
      const started = Date.now();
      const event = sqsEvent([sqsRecord(deliveryMessage({ id, subscription: { endpoint } }))]);
      // An invocation held past its time limit fails as Lambda fails it (middy's timeout): every record
      // of the batch comes back without a cause.
      const result = await handler(event, contextWith(invocationMs)).catch(
        (error: unknown) => `failed: ${(error as Error).name}`,
      );
      return { result, tookMs: Date.now() - started };
    };
    try {
      const first = await invoke('first');
      const second = await invoke('second');
      return { first, second };
    } finally {
      pool.destroy();
    }
  };

  it('holds later writes no longer than the retry maximum: the next invocation delivers', async () => {
    const { first, second } = await twoInvocations(1, 3_000);
    expect((first.result as SQSBatchResponse).batchItemFailures).toHaveLength(1);
    expect(second.result).toEqual({ batchItemFailures: [] });
    expect(answered).toEqual([429, 200]);
    // Held about one second (the retry maximum), not a day.
    expect(second.tookMs).toBeGreaterThanOrEqual(800);
    expect(second.tookMs).toBeLessThan(3_000);
  });

  it('holds later writes no longer than the time limit of the request that was throttled', async () => {
    const { second } = await twoInvocations(300, 1_500);
    // The next invocation ends within its own time limit and reports its record, whatever became of it.
    expect(second.result).toEqual({ batchItemFailures: expect.any(Array) as unknown });
    expect(second.tookMs).toBeLessThan(1_500);
  });
});
