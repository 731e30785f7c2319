import { describe, expect, it } from 'vitest';
import { PayloadError, RecordFailedError } from '../../../shared/delivery/errors.js';
import {
  healthLakeIdOf,
  ledgerTargetKey,
  toHealthLakeResource,
} from '../../../shared/delivery/replicationTarget.js';
import { ReplicationError } from '../../../shared/replication/errors.js';
import { deliveryMessage, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';

const settlement = (summary: { messageId: string; resourceType?: string }) => ({
  summary,
  outcome: { kind: 'transient-failure' as const, cause: { reason: 'timeout' as const, attempt: 1, at: '' } },
  disposition: 'retry' as const,
  attempt: 1,
});

describe('Delivery errors', () => {
  it('names a failed record by its resource type and SQS message id, never by content', () => {
    const error = new RecordFailedError(settlement({ messageId: 'm-1', resourceType: 'Patient' }));
    expect(error.name).toBe('RecordFailedError');
    expect(error.message).toBe('Delivery of Patient m-1 failed: retry');
    expect(new RecordFailedError(settlement({ messageId: 'm-2' })).message).toBe(
      'Delivery of message m-2 failed: retry',
    );
  });

  it('names a payload error by its class and keeps its reason', () => {
    const error = new PayloadError('payload-missing', 'S3 payload object does not exist');
    expect(error.name).toBe('PayloadError');
    expect(error.reason).toBe('payload-missing');
  });
});

describe('Replication target of a message', () => {
  it('refuses an unsafe id prefix selector, even from a redriven message, without quoting it', () => {
    const message = deliveryMessage({
      subscription: { replication: { idPrefix: 'CDR1-', idPrefixSelector: '(a)\\1' } },
    });
    expect(() => healthLakeIdOf(message)).toThrow(ReplicationError);
    expect(() => toHealthLakeResource(message, { resourceType: 'Patient', id: 'p1' })).toThrow(
      /^replicate-id-prefix-selector is refused: /,
    );
    expect(() => healthLakeIdOf(message)).not.toThrow(/\(a\)/);
  });

  it('applies a safe selector: only matching ids get the prefix', () => {
    const replication = { idPrefix: 'CDR1-', idPrefixSelector: 'Patient/[0-9]+' };
    expect(healthLakeIdOf(deliveryMessage({ id: '12', subscription: { replication } }))).toBe('CDR1-12');
    expect(healthLakeIdOf(deliveryMessage({ id: 'p1', subscription: { replication } }))).toBe('p1');
  });

  it('keys the ledger target by the normalised endpoint, as ingest records it', () => {
    const message = deliveryMessage({
      subscription: { endpoint: 'HTTPS://HealthLake.us-east-1.amazonaws.com/datastore/0123456789abcdef/r4' },
    });
    expect(ledgerTargetKey(message)).toBe(TEST_ENDPOINT);
  });
});
