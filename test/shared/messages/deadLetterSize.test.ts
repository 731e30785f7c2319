/**
 * A message kept inline must still fit SQS's 1 MiB (body plus attributes) once it is dead-lettered with
 * its cause. Checked by arithmetic and against fauxqs, which enforces the limit as SQS does.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
  type ConnectorResources,
} from '../../../local/standins/aws.js';
import { SQS_MAX_MESSAGE_BYTES } from '../../../shared/config/constants.js';
import {
  deadLetterAttributes,
  deadLetterInput,
  MAX_DEAD_LETTER_ATTRIBUTE_BYTES,
  MAX_INLINE_MESSAGE_BYTES,
  messageAttributesBytes,
  readDeadLetterCause,
} from '../../../shared/messages/deadLetter.js';
import type { FailureCause, MessageSummary } from '../../../shared/messages/failureCause.js';

/** The largest cause a data store can provoke: long, multi-byte and escaped texts everywhere. */
const hostileText = (length: number) => '\u0001"\\é😀'.repeat(length);
const worstCause: FailureCause = {
  reason: 'http-status',
  status: 403,
  issueCode: hostileText(500),
  diagnostics: hostileText(5000),
  errorType: hostileText(500),
  attempt: 1000,
  at: '2026-01-01T00:00:00.000Z',
  retryAfterSeconds: 43_200,
};
const worstSummary: MessageSummary = {
  messageId: 'm'.repeat(100),
  resourceType: 'MedicinalProductAuthorization',
  id: 'i'.repeat(64),
  versionId: 'v'.repeat(64),
  operation: 'upsert',
  subscriptionId: 's'.repeat(64),
};

describe('Dead-letter cause size', () => {
  it('bounds the cause attributes whatever the data store answered, and keeps them readable', () => {
    const attributes = deadLetterAttributes('retries-exhausted', worstCause, worstSummary);
    expect(messageAttributesBytes(attributes)).toBeLessThanOrEqual(MAX_DEAD_LETTER_ATTRIBUTE_BYTES);
    const cause = readDeadLetterCause(attributes);
    expect(cause).toMatchObject({ kind: 'retries-exhausted', status: 403, id: 'i'.repeat(64) });
    expect(cause?.diagnostics?.startsWith('\u0001"\\é😀')).toBe(true);
  });

  it('leaves room for the cause below the SQS limit', () => {
    expect(MAX_DEAD_LETTER_ATTRIBUTE_BYTES).toBeGreaterThan(1024);
    expect(MAX_INLINE_MESSAGE_BYTES + MAX_DEAD_LETTER_ATTRIBUTE_BYTES).toBe(SQS_MAX_MESSAGE_BYTES);
  });

  describe('on fauxqs', () => {
    let aws: AwsStandins;
    let sqs: SQSClient;
    let resources: ConnectorResources;

    beforeAll(async () => {
      aws = await startAwsStandins();
      sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
      resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'dlq-size' } });
    });

    afterAll(async () => {
      sqs?.destroy();
      await aws?.stop();
    });

    const send = (body: string, messageId: string) =>
      sqs.send(
        new SendMessageCommand(
          deadLetterInput({
            queueUrl: resources.deliveryDlqUrl,
            body,
            groupId: 'Patient/p1',
            kind: 'retries-exhausted',
            cause: worstCause,
            summary: { ...worstSummary, messageId },
          }),
        ),
      );

    it('dead-letters a body at the inline threshold with the largest cause', async () => {
      const body = 'b'.repeat(MAX_INLINE_MESSAGE_BYTES);
      const sent = await send(body, 'at-threshold');
      expect(sent.MessageId).toBeDefined();
    });

    it('would refuse a full 1 MiB body with its cause (the limit the threshold keeps clear of)', async () => {
      const error = await send('b'.repeat(SQS_MAX_MESSAGE_BYTES), 'full-size').catch(
        (caught: unknown) => caught,
      );
      expect((error as Error).message).toMatch(/shorter than/);
    });
  });
});
