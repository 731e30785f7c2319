import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deadLetterInput } from '../../../shared/messages/deadLetter.js';
import { describeDlqMessage, unwrapDeliveryMessage } from '../../../shared/operator/describeDlqMessage.js';

const delivery = {
  schema: 'healthlake-connector/delivery/v1',
  operation: 'upsert',
  resourceType: 'Patient',
  id: 'p1',
  versionId: '3',
  subscription: { id: 'sub-1' },
  trace: { source: 'backfill' },
  resource: { resourceType: 'Patient', id: 'p1', name: [{ family: 'SECRET-NAME' }] },
};

/** A dead letter as the deliverer sends it, as ReceiveMessage returns it. */
const recorded = (diagnostics?: string): Message => {
  const input = deadLetterInput({
    queueUrl: 'https://sqs/1/dlq.fifo',
    body: JSON.stringify(delivery),
    groupId: 'Patient/p1',
    kind: 'retries-exhausted',
    cause: {
      reason: 'http-status',
      status: 503,
      ...(diagnostics === undefined ? {} : { diagnostics }),
      attempt: 4,
      at: '2026-01-01T00:00:00Z',
    },
    summary: {
      messageId: 'm-1',
      resourceType: 'Patient',
      id: 'p1',
      versionId: '3',
      operation: 'upsert',
      subscriptionId: 'sub-1',
    },
  });
  return {
    MessageId: 'dlq-1',
    Body: input.MessageBody,
    MessageAttributes: input.MessageAttributes,
    Attributes: {
      SentTimestamp: '1767225600000',
      ApproximateReceiveCount: '2',
      MessageGroupId: 'Patient/p1',
    },
  };
};

describe('Function: describeDlqMessage', () => {
  it('describes a recorded dead letter: where it came from, why, and no content', () => {
    const entry = describeDlqMessage(recorded());
    expect(entry).toEqual({
      messageId: 'dlq-1',
      attempts: 4,
      sentAt: '2026-01-01T00:00:00.000Z',
      receiveCount: 2,
      groupId: 'Patient/p1',
      operation: 'upsert',
      resource: 'Patient/p1',
      versionId: '3',
      subscriptionId: 'sub-1',
      source: 'backfill',
      cause: 'retries-exhausted | http-status | HTTP 503 (attempt 4 at 2026-01-01T00:00:00Z)',
    });
    expect(JSON.stringify(entry)).not.toContain('SECRET-NAME');
  });

  it('hides recorded diagnostics unless content is asked for, and then shows the body too', () => {
    const message = recorded('Patient.name SECRET-NAME rejected');
    expect(describeDlqMessage(message).cause).toContain('diagnostics hidden (--show-content)');
    const shown = describeDlqMessage(message, { showContent: true });
    expect(shown.cause).toContain('Patient.name SECRET-NAME rejected');
    expect(shown.content).toEqual(delivery);
  });

  it('falls back to the recorded summary when the body is not a delivery message', () => {
    const message = { ...recorded(), Body: 'not json', Attributes: {} };
    expect(describeDlqMessage(message)).toEqual({
      messageId: 'dlq-1',
      attempts: 4,
      operation: 'upsert',
      resource: 'Patient/p1',
      versionId: '3',
      subscriptionId: 'sub-1',
      cause: 'retries-exhausted | http-status | HTTP 503 (attempt 4 at 2026-01-01T00:00:00Z)',
    });
    expect(describeDlqMessage(message, { showContent: true }).content).toBe('not json');
  });

  it('reads the causes other producers record in attributes and wrappers, never printing unknown objects', () => {
    const message: Message = {
      MessageId: 'x',
      Body: JSON.stringify({
        message: JSON.stringify(delivery),
        errorMessage: 'Lambda timed out',
        failure: { code: 'E1', status: 500, extra: 'ignored' },
        reason: { family: 'SECRET-NAME' },
        count: 3,
      }),
      MessageAttributes: {
        ErrorCode: { DataType: 'String', StringValue: '500' },
        Other: { DataType: 'String', StringValue: 'not a cause' },
        ErrorEmpty: { DataType: 'String', StringValue: '' },
      },
    };
    const entry = describeDlqMessage(message);
    expect(entry.cause).toBe(
      'ErrorCode=500; Lambda timed out; E1: 500; (unrecognised cause with fields family)',
    );
    expect(entry.resource).toBe('Patient/p1');
    expect(entry.messageId).toBe('x');
  });

  it('says when no cause was recorded (SQS moved it after maxReceiveCount)', () => {
    expect(describeDlqMessage({ Body: JSON.stringify(delivery) })).toMatchObject({
      messageId: '',
      cause: 'no cause recorded (moved by the redrive policy after maxReceiveCount receives)',
    });
    expect(describeDlqMessage({ Attributes: { SentTimestamp: 'soon' } })).not.toHaveProperty('sentAt');
  });
});

describe('Function: unwrapDeliveryMessage', () => {
  it('finds a delivery message as the body or under a wrapper key, as an object or a JSON string', () => {
    expect(unwrapDeliveryMessage(delivery)).toEqual({ message: delivery });
    expect(unwrapDeliveryMessage({ body: delivery })).toEqual({
      message: delivery,
      wrapper: { body: delivery },
    });
    const wrapped = { original: JSON.stringify(delivery) };
    expect(unwrapDeliveryMessage(wrapped)).toEqual({ message: delivery, wrapper: wrapped });
    expect(unwrapDeliveryMessage({ deliveryMessage: '{' })).toEqual({ wrapper: { deliveryMessage: '{' } });
    expect(unwrapDeliveryMessage({ schema: 'x' })).toEqual({ wrapper: { schema: 'x' } });
    expect(unwrapDeliveryMessage([delivery])).toEqual({});
    expect(unwrapDeliveryMessage(null)).toEqual({});
  });
});
