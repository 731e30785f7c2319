import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deadLetterAttributes } from '../../../shared/messages/deadLetter.js';
import { describeDlqMessage } from '../../../shared/operator/describeDlqMessage.js';

const summary = { messageId: 'm-1', resourceType: 'Patient', id: 'p1', versionId: '2' };

const dlqMessage = (attributes: ReturnType<typeof deadLetterAttributes>): Message => ({
  MessageId: 'dlq-1',
  Body: '{}',
  MessageAttributes: attributes,
});

describe('describeDlqMessage: attempts', () => {
  it('says how many attempts were made of how many were allowed when the retries ran out', () => {
    const entry = describeDlqMessage(
      dlqMessage(
        deadLetterAttributes(
          'retries-exhausted',
          { reason: 'http-status', status: 503, attempt: 21, maxAttempts: 21, at: '2026-01-01T00:00:00Z' },
          summary,
        ),
      ),
    );
    expect(entry.cause).toContain(
      'gave up after 21 attempts of the 21 allowed (the first and 20 retries); last at 2026-01-01T00:00:00Z',
    );
  });

  it('names the attempt a terminal failure happened on', () => {
    const entry = describeDlqMessage(
      dlqMessage(
        deadLetterAttributes(
          'terminal',
          { reason: 'http-status', status: 422, attempt: 1, at: '2026-01-01T00:00:00Z' },
          summary,
        ),
      ),
    );
    expect(entry.cause).toContain('(attempt 1 at 2026-01-01T00:00:00Z)');
  });
});
