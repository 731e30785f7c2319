import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  DELIVERY_MESSAGE_SCHEMA,
  messageGroupId,
  type DeliveryMessage,
} from '../../shared/messages/deliveryMessage.js';

export const TEST_ENDPOINT = 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef/r4/';

/** A valid delivery message (an upsert of a small Patient unless overridden). */
export const deliveryMessage = (
  overrides: Partial<Omit<DeliveryMessage, 'subscription' | 'trace'>> & {
    subscription?: Partial<DeliveryMessage['subscription']>;
    trace?: Partial<DeliveryMessage['trace']>;
  } = {},
): DeliveryMessage => {
  const resourceType = overrides.resourceType ?? 'Patient';
  const id = overrides.id ?? 'p1';
  const versionId = overrides.versionId ?? '1';
  const lastUpdated = overrides.lastUpdated ?? '2026-01-01T00:00:00.000Z';
  const operation = overrides.operation ?? 'upsert';
  const { subscription, trace, ...rest } = overrides;
  return {
    schema: DELIVERY_MESSAGE_SCHEMA,
    operation,
    resourceType,
    id,
    versionId,
    lastUpdated,
    ...(operation === 'upsert'
      ? {
          payload: {
            kind: 'inline',
            resource: { resourceType, id, meta: { versionId, lastUpdated }, active: true },
          },
        }
      : {}),
    ...rest,
    subscription: {
      id: 'sub-1',
      endpoint: TEST_ENDPOINT,
      stripVersionIds: false,
      deliverLatestVersion: true,
      ...subscription,
    },
    trace: {
      ingestedAt: new Date(Date.now() - 50).toISOString(),
      requestId: 'req-1',
      source: 'ingest',
      ...trace,
    },
  } as DeliveryMessage;
};

/** An SQS FIFO record carrying `body` (a message or a raw string). */
export const sqsRecord = (
  body: DeliveryMessage | string,
  options: { receiveCount?: number; groupId?: string; messageId?: string } = {},
): SQSRecord => {
  const groupId = options.groupId ?? (typeof body === 'string' ? 'invalid-group' : messageGroupId(body));
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: groupId,
      MessageDeduplicationId: messageId,
      SequenceNumber: '1',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hlc-test-delivery.fifo',
    awsRegion: 'us-east-1',
  };
};

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/** Waits until `condition` holds (polling), failing after `timeoutMs`. */
export const waitFor = async (
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {},
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};
