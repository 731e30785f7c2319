import type { Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';
import { toActiveSubscription } from '../../../shared/subscriptions/toActiveSubscription.js';
import { channelExtension, DATASTORE_A, makeSubscription } from '../../helpers/subscriptions.js';

describe('Function: toActiveSubscription', () => {
  it('resolves the channel extensions, the normalised endpoint and end', () => {
    const subscription = makeSubscription(
      { id: 's1', status: 'active', criteria: '[Patient]', end: '2030-01-01T00:00:00Z' },
      {
        endpoint: DATASTORE_A.replace(/\/$/, ''),
        extension: [channelExtension.deliveryRetryCount(0), channelExtension.stripVersionIds(true)],
      },
    );
    expect(toActiveSubscription(subscription)).toEqual({
      id: 's1',
      criteria: '[Patient]',
      endpoint: DATASTORE_A,
      sendDeleteMessages: false,
      deliverLatestVersion: false,
      deliveryRetryCount: 0,
      stripVersionIds: true,
      end: '2030-01-01T00:00:00Z',
    });
  });

  it('keeps a SQL target endpoint (sql://<name>) in its canonical form, and refuses a malformed one', () => {
    const active = toActiveSubscription(makeSubscription({ id: 's1' }, { endpoint: ' sql://warehouse/ ' }));
    expect(active.endpoint).toBe('sql://warehouse');
    expect(() =>
      toActiveSubscription(makeSubscription({ id: 's1' }, { endpoint: 'sql://Ware house' })),
    ).toThrow(OperationOutcomeError);
  });

  it('leaves optional fields out when the subscription does not set them', () => {
    const active = toActiveSubscription(makeSubscription({ id: 's1' }));
    expect(active).not.toHaveProperty('deliveryRetryCount');
    expect(active).not.toHaveProperty('end');
  });

  it('throws an OperationOutcomeError when delivery information is missing', () => {
    const withoutId: Subscription = makeSubscription();
    expect(() => toActiveSubscription(withoutId)).toThrow(OperationOutcomeError);
    expect(() => toActiveSubscription(makeSubscription({ id: 's' }, { endpoint: 'nope' }))).toThrow(
      OperationOutcomeError,
    );
  });
});
