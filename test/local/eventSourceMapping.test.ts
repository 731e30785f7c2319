import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSourceMapping } from '../../local/eventSourceMapping.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
  type ConnectorResources,
} from '../../local/standins/aws.js';
import { waitFor } from '../helpers/deliveryMessages.js';

describe('Class: EventSourceMapping (fauxqs)', () => {
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let sqs: SQSClient;

  beforeAll(async () => {
    aws = await startAwsStandins();
    resources = await createConnectorResources({
      endpoints: aws,
      names: { prefix: 'esm-test' },
      maxReceiveCount: 2,
      visibilityTimeoutSeconds: 1,
    });
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
  });

  afterAll(async () => {
    sqs?.destroy();
    await aws?.stop();
  });

  const send = (body: string, group: string) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deliveryQueueUrl,
        MessageBody: body,
        MessageGroupId: group,
        MessageDeduplicationId: `${group}-${body}`,
      }),
    );

  it('invokes the handler with real SQS records and deletes the records that succeeded', async () => {
    const events: SQSEvent[] = [];
    const esm = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      handler: async (event) => {
        events.push(event);
        return { batchItemFailures: [] };
      },
    });
    await send('one', 'g1');
    await send('two', 'g2');
    await esm.start();
    await waitFor(() => esm.stats.deleted === 2, { what: 'two deletions' });
    await esm.idle();
    await esm.stop();
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: resources.deliveryQueueArn,
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record?.attributes.MessageGroupId).toMatch(/^g[12]$/);
    expect(record?.attributes.SequenceNumber).toBeTruthy();
    expect(record?.receiptHandle).toBeTruthy();
    const left = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: resources.deliveryQueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('leaves failed records to their visibility timeout, redelivers them and lets the queue redrive to the DLQ', async () => {
    const counts: string[] = [];
    const esm = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      handler: async (event): Promise<SQSBatchResponse> => {
        counts.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
        return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    await send('always-fails', 'g3');
    await esm.start();
    const dlqHas = async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deliveryDlqUrl,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      return (Messages ?? []).some((message) => message.Body === 'always-fails');
    };
    await waitFor(dlqHas, { timeoutMs: 15_000, what: 'the DLQ to hold the failed message' });
    await esm.stop();
    expect(counts).toEqual(['1', '2']);
    expect(esm.stats.failed).toBe(2);
  });

  it('fails the whole batch when the handler throws, and stops while a batch is in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let invoked = 0;
    const esm = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      concurrency: 2,
      onError: () => undefined,
      handler: async () => {
        invoked += 1;
        await gate;
        throw new Error('boom');
      },
    });
    await send('throws', 'g4');
    await esm.start();
    await waitFor(() => invoked === 1, { what: 'the handler to run' });
    const stopped = esm.stop();
    release();
    await stopped;
    expect(esm.stats.failed).toBe(1);
    expect(esm.stats.deleted).toBe(0);
  });
});
