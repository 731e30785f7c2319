import type { OperationOutcome, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { MAX_SOURCE_EVALUATED_SUBSCRIPTIONS } from '../../../shared/criteria/index.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import { handleSubscriptionRequest } from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { mergeTargets } from '../../../shared/subscriptions/mergeTargets.js';
import type { ActiveSubscription } from '../../../shared/subscriptions/types.js';
import {
  ALLOWED_ENDPOINTS,
  DATASTORE_A,
  DATASTORE_B,
  makeSubscription,
} from '../../helpers/subscriptions.js';

const CHAINED = 'Observation?status=final&subject.identifier=http://hospital|123';

const put = (id: string, body: unknown): FhirRequest => ({
  method: 'PUT',
  path: `Subscription/${id}`,
  query: {},
  headers: { prefer: 'return=OperationOutcome' },
  body: { ...(body as object), id },
  requestId: 'req-1',
  baseUrl: 'https://connector.example.org/fhir',
});

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'x' },
  subject: { reference: 'Patient/p1' },
};

describe('Subscriptions whose criteria the source server evaluates', () => {
  it('are accepted with a source configured, saying a search on the source decides each write', async () => {
    const store = new InMemorySubscriptionStore();
    const response = await handleSubscriptionRequest(
      put('chained', makeSubscription({ criteria: CHAINED })),
      {
        store,
        allowedEndpoints: ALLOWED_ENDPOINTS,
        sourceEvaluation: true,
      },
    );
    expect(response.status).toBe(201);
    const issues = (response.body as OperationOutcome).issue ?? [];
    expect(issues).toContainEqual(
      expect.objectContaining({
        severity: 'information',
        expression: ['Subscription.criteria'],
        diagnostics: expect.stringMatching(
          /^subject\.identifier cannot be evaluated on the resource alone: .*searches the source FHIR server/,
        ),
      }),
    );
    expect(JSON.stringify(issues)).not.toContain('hospital|123');
    expect(((await store.get('chained'))?.resource as Subscription).status).toBe('active');
  });

  it('are refused without a source, with how to configure one', async () => {
    const response = await handleSubscriptionRequest(
      put('chained', makeSubscription({ criteria: CHAINED })),
      {
        store: new InMemorySubscriptionStore(),
        allowedEndpoints: ALLOWED_ENDPOINTS,
      },
    );
    expect(response.status).toBe(400);
    const diagnostics = (response.body as OperationOutcome).issue?.[0]?.diagnostics ?? '';
    expect(diagnostics).toContain('"subject.identifier"');
    expect(diagnostics).toContain('sourceFhir.baseUrl');
  });

  it('accept result parameters with a warning each, with or without a source', async () => {
    const criteria = 'Observation?code=SNOMED-CT|1000000050&_format=xml&_count=5';
    const response = await handleSubscriptionRequest(put('seed-001', makeSubscription({ criteria })), {
      store: new InMemorySubscriptionStore(),
      allowedEndpoints: ALLOWED_ENDPOINTS,
    });
    expect(response.status).toBe(201);
    const warnings = ((response.body as OperationOutcome).issue ?? []).filter(
      (issue) => issue.expression?.[0] === 'Subscription.criteria',
    );
    expect(warnings.map((issue) => [issue.severity, issue.diagnostics])).toEqual([
      ['warning', '_format is a result parameter: it selects no resources, so it is ignored'],
      ['warning', '_count is a result parameter: it selects no resources, so it is ignored'],
    ]);
  });

  it(`are limited to ${MAX_SOURCE_EVALUATED_SUBSCRIPTIONS} active at once (a message carries every candidate's criteria)`, async () => {
    const store = new InMemorySubscriptionStore();
    for (let index = 0; index < MAX_SOURCE_EVALUATED_SUBSCRIPTIONS; index += 1) {
      await store.save({ ...makeSubscription({ criteria: CHAINED }), id: `s${index}`, status: 'active' });
    }
    const deps = {
      store,
      allowedEndpoints: ALLOWED_ENDPOINTS,
      sourceEvaluation: true,
      maxSubscriptions: 1000,
    };
    const refused = await handleSubscriptionRequest(
      put('one-more', makeSubscription({ criteria: CHAINED })),
      deps,
    );
    expect(refused.status).toBe(422);
    // An update of one already counted, and criteria decided in memory, still go through.
    expect(
      (await handleSubscriptionRequest(put('s0', makeSubscription({ criteria: CHAINED })), deps)).status,
    ).toBe(200);
    expect(
      (
        await handleSubscriptionRequest(
          put('plain', makeSubscription({ criteria: 'Observation?status=final' })),
          deps,
        )
      ).status,
    ).toBe(201);
  });

  it('make a write that matches the rest of the criteria a candidate carrying the criteria for the source', async () => {
    const store = new InMemorySubscriptionStore();
    await store.save({ ...makeSubscription({ criteria: CHAINED }), id: 'chained', status: 'active' });
    const cache = new ActiveSubscriptionCache({
      store,
      allowedEndpoints: ALLOWED_ENDPOINTS,
      sourceEvaluation: true,
    });
    const [target] = await cache.match(observation, 'upsert');
    expect(target).toMatchObject({ id: 'chained', sourceCriteria: [CHAINED] });
    // What the in-memory part rules out never reaches the source.
    expect(await cache.match({ ...observation, status: 'preliminary' }, 'upsert')).toEqual([]);
  });

  it('are skipped by a cache without a source, as criteria it cannot evaluate', async () => {
    const store = new InMemorySubscriptionStore();
    await store.save({ ...makeSubscription({ criteria: CHAINED }), id: 'chained', status: 'active' });
    const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: ALLOWED_ENDPOINTS });
    expect(await cache.match(observation, 'upsert')).toEqual([]);
  });
});

describe('Function: mergeTargets with source-evaluated members', () => {
  const member = (id: string, endpoint: string, sourceCriteria?: string[]): ActiveSubscription => ({
    id,
    criteria: sourceCriteria?.[0] ?? '[Observation]',
    endpoint,
    sendDeleteMessages: true,
    deliverLatestVersion: true,
    stripVersionIds: false,
    ...(sourceCriteria ? { sourceCriteria } : {}),
  });

  it('asks the source about every candidate on a data store, once each', () => {
    const [target] = mergeTargets([
      member('b', DATASTORE_A, ['Observation?subject:Patient.name=x']),
      member('a', DATASTORE_A, [CHAINED]),
      member('c', DATASTORE_A, [CHAINED]),
    ]);
    expect(target?.sourceCriteria).toEqual([CHAINED, 'Observation?subject:Patient.name=x']);
    expect(target?.subscriptionIds).toEqual(['a', 'b', 'c']);
  });

  it('asks nothing when a member matched outright: the write goes to that data store anyway', () => {
    const targets = mergeTargets([
      member('a', DATASTORE_A, [CHAINED]),
      member('b', DATASTORE_A),
      member('c', DATASTORE_B, [CHAINED]),
    ]);
    expect(targets.map((target) => [target.endpoint, target.sourceCriteria])).toEqual([
      [DATASTORE_A, undefined],
      [DATASTORE_B, [CHAINED]],
    ]);
  });
});
