import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import {
  formatExplanation,
  formatSubscription,
  subscriptionsOf,
} from '../../../shared/operator/subscriptionOps.js';

// The lines `hlc subscriptions` prints (operatorApi.test.ts covers the requests it sends).
const WARNING =
  'warning: without subscription-send-delete-messages (deletes not replicated), ' +
  'subscription-resthook-deliver-latest-version (every version written, not only the latest)';

describe('formatExplanation', () => {
  const subscription = (id: string, parts: Record<string, unknown>[]) => ({
    name: 'subscription',
    part: [{ name: 'id', valueId: id }, ...parts],
  });

  it('prints one line per Subscription: id, criteria, and the verdict with the first failed criterion', () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', valueString: 'Patient/1' },
        subscription('all', [
          { name: 'criteria', valueString: '[*]' },
          { name: 'matched', valueBoolean: true },
        ]),
        subscription('finals', [
          { name: 'criteria', valueString: 'Observation?status=final' },
          { name: 'matched', valueBoolean: false },
          { name: 'failed', valueString: 'status=final' },
        ]),
        subscription('deep', [
          { name: 'criteria', valueString: 'Observation?subject:Patient.name=peter' },
          { name: 'matched', valueBoolean: true },
          { name: 'decidedBySource', valueString: 'subject:Patient.name=peter' },
          { name: 'decidedBySource', valueString: '_has:x' },
        ]),
      ],
    };
    expect(formatExplanation(body)).toEqual([
      'all  [*]  matches',
      'finals  Observation?status=final  does not match: status=final',
      'deep  Observation?subject:Patient.name=peter  matches in memory; the source server decides subject:Patient.name=peter, _has:x',
    ]);
  });

  it('shows ? for what the answer leaves out, and nothing for no answer', () => {
    expect(formatExplanation({ parameter: [{ name: 'subscription' }] })).toEqual(['?    does not match: ?']);
    expect(
      formatExplanation({
        parameter: [{ name: 'subscription', part: [{ name: 'matched', valueBoolean: 'true' }] }],
      }),
    ).toEqual(['?    does not match: ?']);
    expect(formatExplanation(undefined)).toEqual([]);
    expect(formatExplanation({ resourceType: 'OperationOutcome' })).toEqual([]);
  });
});

describe('subscriptionsOf and formatSubscription', () => {
  const complete = {
    resourceType: 'Subscription',
    id: 's1',
    status: 'error',
    criteria: 'Patient?',
    error: 'endpoint refused',
    channel: {
      endpoint: 'https://healthlake.example/r4/',
      extension: [
        { url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: true },
        { url: SUBSCRIPTION_EXTENSIONS.deliverLatestVersion, valueBoolean: true },
      ],
    },
  };

  it('takes the Subscriptions of a searchset, or a single one', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [{ resource: complete }, { resource: { resourceType: 'OperationOutcome' } }, {}],
    };
    expect(subscriptionsOf(bundle)).toEqual([complete]);
    expect(subscriptionsOf(complete)).toEqual([complete]);
    expect(subscriptionsOf({ resourceType: 'Bundle' })).toEqual([]);
    expect(subscriptionsOf(null)).toEqual([]);
    expect(subscriptionsOf('Subscription')).toEqual([]);
  });

  it('prints id, status, criteria, endpoint and error; warns only about the extensions a Subscription lacks', () => {
    expect(formatSubscription(complete)).toBe(
      's1  error  Patient?  https://healthlake.example/r4/  error: endpoint refused',
    );
    expect(
      formatSubscription({
        id: 's2',
        status: 'active',
        criteria: '[*]',
        channel: { endpoint: 'https://x/' },
      }),
    ).toBe(`s2  active  [*]  https://x/  ${WARNING}`);
    const deletesOnly = {
      ...complete,
      error: undefined,
      channel: { extension: [{ url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: true }] },
    };
    expect(formatSubscription(deletesOnly)).toBe(
      's1  error  Patient?    warning: without subscription-resthook-deliver-latest-version (every version written, not only the latest)',
    );
    expect(formatSubscription({})).toBe(`?  ?      ${WARNING}`);
  });
});
