import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_CAUSE_ATTRIBUTE,
  DEAD_LETTER_KIND_ATTRIBUTE,
  deadLetterAttributes,
  deadLetterInput,
  messageAttributesBytes,
  readDeadLetterCause,
} from '../../../shared/messages/deadLetter.js';
import type { FailureCause, MessageSummary } from '../../../shared/messages/failureCause.js';

const cause: FailureCause = {
  reason: 'http-status',
  status: 400,
  issueCode: 'invalid',
  diagnostics: 'Resource failed validation',
  attempt: 2,
  at: '2026-01-01T00:00:10.000Z',
};
const summary: MessageSummary = {
  messageId: 'm-1',
  resourceType: 'Patient',
  id: 'p1',
  versionId: '3',
  operation: 'upsert',
  subscriptionId: 'sub-1',
};

describe('deadLetterAttributes', () => {
  it('records the cause as JSON and the kind on its own, both as String attributes', () => {
    const attributes = deadLetterAttributes('terminal', cause, summary);
    expect(attributes[DEAD_LETTER_KIND_ATTRIBUTE]).toEqual({ DataType: 'String', StringValue: 'terminal' });
    expect(attributes[DEAD_LETTER_CAUSE_ATTRIBUTE]?.DataType).toBe('String');
    expect(readDeadLetterCause(attributes)).toEqual({
      kind: 'terminal',
      ...cause,
      ...summary,
    });
  });

  it('leaves out numbers JSON cannot hold, and counts an unusable attempt as 0', () => {
    const attributes = deadLetterAttributes(
      'retries-exhausted',
      { ...cause, status: Number.POSITIVE_INFINITY, retryAfterSeconds: Number.NaN, attempt: Number.NaN },
      summary,
    );
    const recorded = readDeadLetterCause(attributes);
    expect(recorded).not.toHaveProperty('status');
    expect(recorded).not.toHaveProperty('retryAfterSeconds');
    expect(recorded?.attempt).toBe(0);
  });

  it('keeps a field exactly at its budget whole and cuts a longer one at a character boundary', () => {
    const atBudget = 'x'.repeat(128);
    const recorded = readDeadLetterCause(
      deadLetterAttributes(
        'terminal',
        { ...cause, issueCode: atBudget, errorType: `${'é'.repeat(64)}é` },
        summary,
      ),
    );
    expect(recorded?.issueCode).toBe(atBudget);
    // 'é' is 2 bytes: 64 of them fill the 128-byte budget, the 65th is cut whole.
    expect(recorded?.errorType).toBe('é'.repeat(64));
  });
});

describe('messageAttributesBytes', () => {
  it('counts the name, type and value of each attribute, in UTF-8 bytes', () => {
    expect(
      messageAttributesBytes({
        ab: { DataType: 'String', StringValue: 'xé' },
        c: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
      }),
    ).toBe(2 + 6 + 3 + (1 + 6 + 5));
  });

  it('counts a missing type or value as nothing', () => {
    expect(messageAttributesBytes({ name: {} as MessageAttributeValue })).toBe(4);
  });
});

describe('deadLetterInput', () => {
  it('keeps the FIFO group and deduplicates on the SQS message id for a FIFO queue', () => {
    expect(
      deadLetterInput({
        queueUrl: 'http://sqs.local/000000000000/dlq.fifo',
        body: '{"x":1}',
        groupId: 'Patient/p1',
        kind: 'terminal',
        cause,
        summary,
      }),
    ).toMatchObject({
      QueueUrl: 'http://sqs.local/000000000000/dlq.fifo',
      MessageBody: '{"x":1}',
      MessageGroupId: 'Patient/p1',
      MessageDeduplicationId: 'dlq-m-1',
    });
  });

  it('sends no FIFO fields to a standard queue', () => {
    const input = deadLetterInput({
      queueUrl: 'http://sqs.local/000000000000/dlq',
      body: '{}',
      groupId: 'Patient/p1',
      kind: 'terminal',
      cause,
      summary,
    });
    expect(input).not.toHaveProperty('MessageGroupId');
    expect(input).not.toHaveProperty('MessageDeduplicationId');
  });
});

describe('readDeadLetterCause', () => {
  it('reads the attribute as an SQS event record spells it', () => {
    const json = JSON.stringify({ kind: 'terminal', reason: 'payload-missing' });
    expect(readDeadLetterCause({ [DEAD_LETTER_CAUSE_ATTRIBUTE]: { stringValue: json } })).toEqual({
      kind: 'terminal',
      reason: 'payload-missing',
    });
  });

  it('is undefined for a message without the attribute, or with one that is not JSON', () => {
    expect(readDeadLetterCause(undefined)).toBeUndefined();
    expect(readDeadLetterCause({})).toBeUndefined();
    expect(
      readDeadLetterCause({
        [DEAD_LETTER_CAUSE_ATTRIBUTE]: { DataType: 'String', StringValue: '{not json' },
      }),
    ).toBeUndefined();
  });
});
