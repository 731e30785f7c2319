import { describe, expect, it } from 'vitest';
import { deadLetterInput, readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { retryDelaySeconds } from '../../../shared/delivery/retryDelay.js';
import { stripVersionIds } from '../../../shared/delivery/stripVersionIds.js';

describe('Function: retryDelaySeconds', () => {
  it('doubles per attempt within [d/2, d] and stops at the cap', () => {
    expect(retryDelaySeconds(1, { baseSeconds: 2 }, undefined, () => 0)).toBe(1);
    expect(retryDelaySeconds(1, { baseSeconds: 2 }, undefined, () => 1)).toBe(2);
    expect(retryDelaySeconds(4, { baseSeconds: 2 }, undefined, () => 1)).toBe(16);
    expect(retryDelaySeconds(30, { baseSeconds: 2, maxSeconds: 300 }, undefined, () => 1)).toBe(300);
  });

  it('waits at least as long as Retry-After asks, within the cap', () => {
    expect(retryDelaySeconds(1, { baseSeconds: 2 }, 30, () => 0)).toBe(30);
    expect(retryDelaySeconds(1, { baseSeconds: 2, maxSeconds: 10 }, 30, () => 0)).toBe(10);
  });

  it('allows immediate retries with a zero base (tests, local mode)', () => {
    expect(retryDelaySeconds(3, { baseSeconds: 0 })).toBe(0);
  });

  it('waits the base delay every time under the fixed strategy, without jitter', () => {
    for (const attempt of [1, 2, 5, 20]) {
      expect(retryDelaySeconds(attempt, { baseSeconds: 7, strategy: 'fixed' }, undefined, () => 0)).toBe(7);
    }
    expect(retryDelaySeconds(1, { baseSeconds: 7, maxSeconds: 5, strategy: 'fixed' })).toBe(5);
    expect(retryDelaySeconds(1, { baseSeconds: 7, strategy: 'fixed' }, 30)).toBe(30);
  });
});

describe('Function: stripVersionIds', () => {
  it('removes meta.versionId and keeps the rest of meta and the references', () => {
    const resource = {
      resourceType: 'Observation',
      id: 'o1',
      meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00Z' },
      subject: { reference: 'Patient/p1/_history/2' },
    };
    expect(stripVersionIds(resource)).toEqual({
      resourceType: 'Observation',
      id: 'o1',
      meta: { lastUpdated: '2026-01-01T00:00:00Z' },
      subject: { reference: 'Patient/p1/_history/2' },
    });
    expect(resource.meta.versionId).toBe('3');
  });

  it('drops an empty meta and leaves resources without a versionId alone', () => {
    expect(stripVersionIds({ resourceType: 'Patient', meta: { versionId: '1' } })).toEqual({
      resourceType: 'Patient',
    });
    const plain = { resourceType: 'Patient' };
    expect(stripVersionIds(plain)).toBe(plain);
  });
});

describe('Function: deadLetterInput', () => {
  it('round-trips the cause through message attributes and truncates long diagnostics', () => {
    const input = deadLetterInput({
      queueUrl: 'https://sqs/1/dlq.fifo',
      body: '{"x":1}',
      groupId: 'Patient/p1',
      kind: 'terminal',
      cause: {
        reason: 'http-status',
        status: 400,
        attempt: 1,
        at: '2026-01-01T00:00:00Z',
        diagnostics: 'd'.repeat(5000),
      },
      summary: { messageId: 'm1', resourceType: 'Patient', id: 'p1' },
    });
    const cause = readDeadLetterCause(input.MessageAttributes);
    expect(cause).toMatchObject({ kind: 'terminal', status: 400, messageId: 'm1', resourceType: 'Patient' });
    expect(cause?.diagnostics).toHaveLength(1024);
    expect(input.MessageBody).toBe('{"x":1}');
  });

  it('omits FIFO fields for a standard queue and reads Lambda-style attributes too', () => {
    const input = deadLetterInput({
      queueUrl: 'https://sqs/1/dlq',
      body: 'b',
      groupId: 'g',
      kind: 'invalid-message',
      cause: { reason: 'invalid-message', attempt: 1, at: 'now' },
      summary: { messageId: 'm' },
    });
    expect(input.MessageGroupId).toBeUndefined();
    const json = input.MessageAttributes?.['hlc-dead-letter-cause']?.StringValue;
    expect(readDeadLetterCause({ 'hlc-dead-letter-cause': { stringValue: json } })?.kind).toBe(
      'invalid-message',
    );
    expect(readDeadLetterCause(undefined)).toBeUndefined();
  });
});
