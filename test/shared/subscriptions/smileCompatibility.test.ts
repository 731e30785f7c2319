import { readFileSync } from 'node:fs';
import type { OperationOutcome, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { SMILE_EXTENSIONS, SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import { DEFAULT_DELIVERY_RETRY_COUNT } from '../../../shared/delivery/constants.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import { handleSubscriptionRequest } from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import {
  ALLOWED_ENDPOINTS,
  DATASTORE_A,
  makeSubscription,
  otherWarnings,
} from '../../helpers/subscriptions.js';

/** Seed 003's "Manually Creating the Subscription" example, pasted verbatim. */
const SEED_003 = readFileSync(
  new URL('../../fixtures/smile/seed003-manual-subscription.json', import.meta.url),
  'utf8',
);
const ID = 'endpoint-awshealthlake-out-connector';

const put = (body: unknown, prefer?: string): FhirRequest => ({
  method: 'PUT',
  path: `Subscription/${ID}`,
  query: {},
  headers: prefer ? { prefer } : {},
  body,
  requestId: 'req-1',
  baseUrl: 'https://connector.example.org/fhir',
});

const create = { interaction: 'create' as const, id: 'new', allowedEndpoints: ALLOWED_ENDPOINTS };

describe("Smile CDR compatibility: seed 003's manual Subscription", () => {
  it('is accepted as written and becomes active, its defaults and notes reported', async () => {
    const store = new InMemorySubscriptionStore();
    const deps = { store, allowedEndpoints: [DATASTORE_A], maxDeliveryRetryCount: 10 };
    const response = await handleSubscriptionRequest(
      put(JSON.parse(SEED_003), 'return=OperationOutcome'),
      deps,
    );

    expect(response.status).toBe(201);
    const issues = (response.body as OperationOutcome).issue ?? [];
    const at = (expression: string) => issues.filter((entry) => entry.expression?.includes(expression));
    expect(at('Subscription.channel.extension[2].valueInteger')[0]).toMatchObject({ severity: 'warning' });
    expect(at('Subscription.channel.endpoint')[0]).toMatchObject({ severity: 'warning' });
    expect(at('Subscription.channel.payload')[0]).toMatchObject({ severity: 'warning' });
    expect(at('Subscription.reason')[0]).toMatchObject({ severity: 'warning' });
    expect(at('Subscription.channel.extension[0]')[0]).toMatchObject({ severity: 'information' });
    expect(at('Subscription.channel.extension[1]')[0]).toMatchObject({ severity: 'information' });
    expect(issues.some((entry) => /above this deployment's limit of 10/.test(entry.diagnostics ?? ''))).toBe(
      true,
    );
    expect(response.headers?.warning).toContain('199 - ');

    const stored = (await store.get(ID))?.resource as Subscription;
    expect(stored.status).toBe('active');
    expect(stored.channel.endpoint).toBe(DATASTORE_A);
    expect(stored.channel.extension?.[2]).toEqual({
      url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount,
      valueInteger: 20,
    });

    // ...and the ingest path delivers for it: deletes and latest version on, 20 retries.
    const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: [DATASTORE_A] });
    const [target] = await cache.match({ resourceType: 'Patient', id: '1' }, 'delete');
    expect(target).toMatchObject({
      id: ID,
      endpoint: DATASTORE_A,
      sendDeleteMessages: true,
      deliverLatestVersion: true,
      deliveryRetryCount: 20,
    });
  });

  it("gets the 20 retries it asks for under the deployment's default retry cap, without a warning", async () => {
    const store = new InMemorySubscriptionStore();
    const response = await handleSubscriptionRequest(put(JSON.parse(SEED_003), 'return=OperationOutcome'), {
      store,
      allowedEndpoints: [DATASTORE_A],
      maxDeliveryRetryCount: DEFAULT_DELIVERY_RETRY_COUNT,
    });
    expect(response.status).toBe(201);
    const issues = (response.body as OperationOutcome).issue ?? [];
    expect(issues.some((entry) => /above this deployment's limit/.test(entry.diagnostics ?? ''))).toBe(false);
    const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: [DATASTORE_A] });
    const [target] = await cache.match({ resourceType: 'Patient', id: '1' }, 'delete');
    expect(target?.deliveryRetryCount).toBe(20);
  });

  it('answers with the active resource and a Warning header by default', async () => {
    const store = new InMemorySubscriptionStore();
    const response = await handleSubscriptionRequest(put(JSON.parse(SEED_003)), {
      store,
      allowedEndpoints: [DATASTORE_A],
    });
    expect(response.status).toBe(201);
    expect((response.body as Subscription).status).toBe('active');
    expect(response.headers?.warning).toMatch(/channel\.endpoint is absent/);
  });
});

describe('Smile CDR compatibility: extensions', () => {
  it('reads "true"/"false" and integer strings as FHIR values, with a warning each', () => {
    const parsed = parseSubscription(
      makeSubscription(
        {},
        {
          extension: [
            { url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: 'true' as unknown as boolean },
            { url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, valueInteger: '3' as unknown as number },
          ],
        },
      ),
      create,
    );
    expect(parsed.settings).toMatchObject({ sendDeleteMessages: true, deliveryRetryCount: 3 });
    expect(parsed.warnings.filter((entry) => entry.code === 'value')).toHaveLength(2);
  });

  it('still refuses a string that is not a boolean or an integer', () => {
    expect(() =>
      parseSubscription(
        makeSubscription(
          {},
          {
            extension: [
              { url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, valueInteger: 'x' as unknown as number },
            ],
          },
        ),
        create,
      ),
    ).toThrow();
  });

  it('lists every extension it keeps but does not act on in a warning', () => {
    const named = {
      url: 'https://smilecdr.com/fhir/ns/StructureDefinition/subscription-named-channel-delivery',
      valueString: 'MyQueueName',
    };
    const parsed = parseSubscription(makeSubscription({}, { extension: [named] }), create);
    expect(parsed.warnings).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        code: 'not-supported',
        expression: ['Subscription.channel.extension[0]'],
      }),
    );
    expect(parsed.resource.channel.extension).toEqual([named]);
  });

  it('recognises replicate-mode with an informational note', () => {
    const parsed = parseSubscription(
      makeSubscription({}, { extension: [{ url: SMILE_EXTENSIONS.replicateMode, valueBoolean: true }] }),
      create,
    );
    expect(otherWarnings(parsed.warnings)).toEqual([expect.objectContaining({ severity: 'information' })]);
  });

  it('reads the replication extensions into the settings', () => {
    const parsed = parseSubscription(
      makeSubscription(
        {},
        {
          extension: [
            { url: SMILE_EXTENSIONS.replicateIdPrefix, valueString: 'CDR1-' },
            { url: SMILE_EXTENSIONS.replicateIdPrefixSelector, valueString: '[a-zA-Z]+/[0-9]+' },
            { url: SMILE_EXTENSIONS.replicateStripIdPrefix, valueString: 'OLD-' },
            {
              url: SMILE_EXTENSIONS.replicateStripReferenceBaseUrl,
              valueString: 'https://source.example.org/fhir',
            },
          ],
        },
      ),
      create,
    );
    expect(parsed.settings.replication).toEqual({
      idPrefix: 'CDR1-',
      idPrefixSelector: '[a-zA-Z]+/[0-9]+',
      stripIdPrefix: 'OLD-',
      stripReferenceBaseUrl: 'https://source.example.org/fhir',
    });
    expect(otherWarnings(parsed.warnings)).toEqual([]);
  });

  it.each([
    ['a look-ahead', '[a-z]+(?=/)/[0-9]+'],
    ['a back-reference', '([a-z])\\1/[0-9]+'],
    ['an invalid pattern', '[a-z+/('],
    ['too large an automaton', '(?:[a-z]{0,100}){200}'],
    ['an overlong pattern', 'a'.repeat(300)],
  ])('refuses a selector with %s, pointing at the extension', (_name, pattern) => {
    let outcome: OperationOutcome | undefined;
    try {
      parseSubscription(
        makeSubscription(
          {},
          { extension: [{ url: SMILE_EXTENSIONS.replicateIdPrefixSelector, valueString: pattern }] },
        ),
        create,
      );
    } catch (error) {
      outcome = (error as { outcome: OperationOutcome }).outcome;
    }
    expect(outcome?.issue).toContainEqual(
      expect.objectContaining({ severity: 'error', expression: ['Subscription.channel.extension[0]'] }),
    );
    expect(JSON.stringify(outcome)).not.toContain(pattern);
  });

  it('refuses a prefix that is not made of FHIR id characters', () => {
    expect(() =>
      parseSubscription(
        makeSubscription(
          {},
          { extension: [{ url: SMILE_EXTENSIONS.replicateIdPrefix, valueString: 'CDR 1/' }] },
        ),
        create,
      ),
    ).toThrow();
  });
});
