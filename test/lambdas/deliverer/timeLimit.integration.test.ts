/**
 * The deliverer against a slow data store over real sockets: fauxqs FIFO queue (redrive to a FIFO DLQ)
 * -> EventSourceMapping -> the deliverer handler (whose middy engine, like Lambda, fails an invocation
 * that reaches its timeout, so none of its records is reported) -> an HTTP sink that answers each write after a delay.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelivererHandler } from '../../../lambdas/deliverer/createDelivererHandler.js';
import { parseAllowedEndpoints } from '../../../shared/subscriptions/endpoints.js';
import { EventSourceMapping } from '../../../local/eventSourceMapping.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import type { TimeLimitOptions } from '../../../shared/delivery/timeBudget.js';
import { FailureReason } from '../../../shared/messages/failureCause.js';
import { HealthLakeClientPool } from '../../../shared/healthlake/HealthLakeClientPool.js';
import { deduplicationId } from '../../../shared/messages/deliveryMessage.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, waitFor } from '../../helpers/deliveryMessages.js';

const INVOCATION_TIMEOUT_MS = 2000;
const ANSWER_DELAY_MS = 400;
const RECORDS = 10;
const MAX_RECEIVES = 3;

describe('Deliverer time limit (slow data store over real sockets)', () => {
  let aws: AwsStandins;
  let sqs: SQSClient;
  let sink: Server;
  let sinkEndpoint: string;
  let scenario = 0;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    aws = await startAwsStandins();
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    sink = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        setTimeout(() => {
          response.writeHead(200).end();
        }, ANSWER_DELAY_MS);
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkEndpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/datastore/slow/r4/`;
  });

  afterAll(async () => {
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    sink?.closeAllConnections();
    await new Promise((resolve) => sink?.close(resolve));
    sqs?.destroy();
    await aws?.stop();
  });

  /** Ten writes in one FIFO group through a deliverer with (or without) its time limit, until drained. */
  const run = async (timeLimit: TimeLimitOptions | undefined) => {
    scenario += 1;
    const resources = await createConnectorResources({
      endpoints: aws,
      names: { prefix: `time-limit-${scenario}` },
      maxReceiveCount: MAX_RECEIVES,
      visibilityTimeoutSeconds: 1,
    });
    const pool = new HealthLakeClientPool({
      credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
      region: 'us-east-1',
      connectTimeoutMs: 200,
      responseTimeoutMs: 600,
    });
    const handler = createDelivererHandler({
      sqs,
      ledger: new InMemoryVersionLedger(),
      delivered: new InMemoryDeliveredVersions(),
      healthLake: (endpoint) => pool.get(endpoint),
      now: Date.now,
      logger: new Logger({ serviceName: 'it', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'HealthLakeConnector', serviceName: 'it' }),
      config: {
        queueUrl: resources.deliveryQueueUrl,
        deadLetterQueueUrl: resources.deliveryDlqUrl,
        defaultMaxAttempts: MAX_RECEIVES,
        backoff: { baseSeconds: 1, maxSeconds: 1 },
        allowedEndpoints: new Set(parseAllowedEndpoints([sinkEndpoint])),
        ...(timeLimit ? { timeLimit } : {}),
      },
    });
    /** Time left when each invocation returned (0 = it ran into the timeout). */
    const leftAtReturn: number[] = [];
    /** Failed invocations (a timeout among them) and poller errors. */
    const errors: unknown[] = [];
    const esm = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      handler: async (event: SQSEvent, context: Context) => {
        // fauxqs hands out one message per FIFO group per receive, real SQS up to ten of one group: each
        // write is sent in its own group and the batch is presented as one group, as SQS would hand it out.
        const oneGroup = event.Records.map((record) => ({
          ...record,
          attributes: { ...record.attributes, MessageGroupId: 'one-group' },
        }));
        const response = await handler({ Records: oneGroup }, context);
        leftAtReturn.push(context.getRemainingTimeInMillis());
        return response;
      },
      timeoutMs: INVOCATION_TIMEOUT_MS,
      onError: (error) => errors.push(error),
      waitTimeSeconds: 1,
    });
    const messages = Array.from({ length: RECORDS }, (_, index) =>
      deliveryMessage({ id: `slow-${index}`, subscription: { endpoint: sinkEndpoint } }),
    );
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: resources.deliveryQueueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
          MessageGroupId: `group-${index}`,
          MessageDeduplicationId: `${scenario}-${deduplicationId(message)}`,
        })),
      }),
    );
    expect(sent.Failed ?? []).toEqual([]);
    await esm.start();
    const dlq: Message[] = [];
    const drain = async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deliveryDlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      dlq.push(...(Messages ?? []));
    };
    try {
      await waitFor(
        async () => {
          await drain();
          return esm.stats.deleted >= RECORDS || (dlq.length > 0 && !timeLimit);
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'every record delivered or dead-lettered' },
      );
    } finally {
      await esm.stop();
      pool.destroy();
    }
    return { leftAtReturn, errors, dlq, stats: esm.stats };
  };

  it('never runs past its deadline, and dead-letters nothing without a cause', async () => {
    const { leftAtReturn, errors, dlq, stats } = await run({
      connectTimeoutMs: 200,
      responseTimeoutMs: 600,
      settleReserveMs: 300,
      deferDelaySeconds: 0,
    });
    expect(errors).toEqual([]);
    expect(leftAtReturn.length).toBeGreaterThan(1);
    for (const left of leftAtReturn) expect(left).toBeGreaterThan(0);
    // Every record left the queue through the deliverer's report (delivered, or dead-lettered with its
    // cause); none through SQS's own redrive.
    expect(stats.deleted).toBe(RECORDS);
    for (const message of dlq) {
      const cause = readDeadLetterCause(message.MessageAttributes);
      expect(cause?.reason).toBe(FailureReason.timeLimit);
      expect(cause?.kind).toBe('retries-exhausted');
    }
  }, 40_000);

  it('without the time limit, the same batch outlasts its invocation and SQS redrives it without a cause', async () => {
    const { errors, dlq, stats } = await run(undefined);
    expect(errors.some((error) => (error as Error).name === 'TimeoutError')).toBe(true);
    expect(stats.deleted).toBeLessThan(RECORDS);
    expect(dlq.length).toBeGreaterThan(0);
    expect(dlq.some((message) => readDeadLetterCause(message.MessageAttributes) === undefined)).toBe(true);
  }, 40_000);
});
