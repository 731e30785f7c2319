import type { Bundle, OperationOutcome, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it, vi } from 'vitest';
import type { FhirRequest } from '../../../shared/http/types.js';
import {
  handleSubscriptionRequest,
  type SubscriptionRouteDeps,
} from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import {
  ALLOWED_ENDPOINTS,
  channelExtension,
  DATASTORE_B,
  makeSubscription,
} from '../../helpers/subscriptions.js';

const BASE = 'https://connector.example.org/fhir';
const T0 = new Date('2026-06-01T12:00:00Z');

const request = (
  method: FhirRequest['method'],
  path: string,
  options: { body?: unknown; query?: Record<string, string[]>; headers?: Record<string, string> } = {},
): FhirRequest => ({
  method,
  path,
  query: options.query ?? {},
  headers: options.headers ?? {},
  ...(options.body === undefined ? {} : { body: options.body }),
  requestId: 'req-1',
  baseUrl: BASE,
});

const setup = () => {
  const store = new InMemorySubscriptionStore();
  let clock = T0.getTime();
  let ids = 0;
  const onChange = vi.fn();
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const deps: SubscriptionRouteDeps = {
    store,
    allowedEndpoints: ALLOWED_ENDPOINTS,
    now: () => new Date(clock),
    newId: () => `server-${(ids += 1)}`,
    onChange,
    logger,
  };
  const call = (req: FhirRequest) => handleSubscriptionRequest(req, deps);
  return { store, deps, call, onChange, logger, advance: (ms: number) => (clock += ms) };
};

const issueOf = (body: unknown) => (body as OperationOutcome).issue?.[0];

describe('Function: handleSubscriptionRequest', () => {
  describe('POST Subscription', () => {
    it('creates with a server id and answers 201 with Location, ETag and the active resource', async () => {
      const { call, onChange } = setup();
      const response = await call(
        request('POST', 'Subscription', { body: makeSubscription({ id: 'ignored' }) }),
      );
      expect(response.status).toBe(201);
      expect(response.headers).toMatchObject({
        'content-type': 'application/fhir+json; charset=utf-8',
        location: `${BASE}/Subscription/server-1/_history/1`,
        etag: 'W/"1"',
        'last-modified': T0.toUTCString(),
      });
      expect(response.body).toMatchObject({
        resourceType: 'Subscription',
        id: 'server-1',
        status: 'active',
        meta: { versionId: '1', lastUpdated: T0.toISOString() },
      });
      expect(onChange).toHaveBeenCalledWith('server-1');
    });

    it('answers 400 with the OperationOutcome and stores nothing for an invalid subscription', async () => {
      const { call, store, onChange } = setup();
      const response = await call(
        request('POST', 'Subscription', {
          body: makeSubscription({}, { endpoint: 'https://evil.example.com/r4/' }),
        }),
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ resourceType: 'OperationOutcome' });
      expect(response.body).not.toHaveProperty('id');
      expect(issueOf(response.body)).toMatchObject({ expression: ['Subscription.channel.endpoint'] });
      expect(await store.list()).toEqual([]);
      expect(onChange).not.toHaveBeenCalled();
    });

    it('answers 400 naming the criteria for criteria that cannot be evaluated exactly', async () => {
      const { call, store } = setup();
      const response = await call(
        request('POST', 'Subscription', {
          body: makeSubscription({ criteria: 'Observation?_has:Patient:x=y' }),
        }),
      );
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({ expression: ['Subscription.criteria'] });
      expect(await store.list()).toEqual([]);
    });

    it('refuses a conditional create instead of ignoring it', async () => {
      const { call, store } = setup();
      const response = await call(
        request('POST', 'Subscription', {
          body: makeSubscription(),
          headers: { 'if-none-exist': 'status=active' },
        }),
      );
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({ code: 'not-supported' });
      expect(await store.list()).toEqual([]);
    });

    it('honours Prefer: return=minimal', async () => {
      const { call } = setup();
      const response = await call(
        request('POST', 'Subscription', { body: makeSubscription(), headers: { prefer: 'return=minimal' } }),
      );
      expect(response.status).toBe(201);
      expect(response.body).toBeUndefined();
      expect(response.headers?.location).toBe(`${BASE}/Subscription/server-1/_history/1`);
    });
  });

  describe('PUT Subscription/{id}', () => {
    it('creates with the client id (201) and then updates (200) with a new version', async () => {
      const { call } = setup();
      const created = await call(
        request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }),
      );
      expect(created.status).toBe(201);
      expect(created.headers?.location).toBe(`${BASE}/Subscription/mine/_history/1`);
      const updated = await call(
        request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine', status: 'off' }) }),
      );
      expect(updated.status).toBe(200);
      expect(updated.headers?.etag).toBe('W/"2"');
      expect(updated.body).toMatchObject({ status: 'off', meta: { versionId: '2' } });
    });

    it('keeps the version when the same resource is put again', async () => {
      const { call, onChange } = setup();
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }));
      const again = await call(
        request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }),
      );
      expect(again.status).toBe(200);
      expect(again.headers?.etag).toBe('W/"1"');
      expect(onChange).toHaveBeenCalledTimes(1);
    });

    it('accepts the resource as read back (status active) and refuses active on a new id', async () => {
      const { call } = setup();
      const created = await call(
        request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }),
      );
      const readBack = { ...(created.body as Subscription), reason: 'Changed reason' };
      const updated = await call(request('PUT', 'Subscription/mine', { body: readBack }));
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        status: 'active',
        reason: 'Changed reason',
        meta: { versionId: '2' },
      });
      const fresh = await call(
        request('PUT', 'Subscription/other', { body: makeSubscription({ id: 'other', status: 'active' }) }),
      );
      expect(fresh.status).toBe(400);
      expect(issueOf(fresh.body)).toMatchObject({ expression: ['Subscription.status'] });
    });

    it('honours If-Match and answers 412 when the version moved on', async () => {
      const { call } = setup();
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }));
      const stale = await call(
        request('PUT', 'Subscription/mine', {
          body: makeSubscription({ id: 'mine', reason: 'x' }),
          headers: { 'if-match': 'W/"7"' },
        }),
      );
      expect(stale.status).toBe(412);
      const current = await call(
        request('PUT', 'Subscription/mine', {
          body: makeSubscription({ id: 'mine', reason: 'x' }),
          headers: { 'if-match': 'W/"1"' },
        }),
      );
      expect(current.status).toBe(200);
      const malformed = await call(
        request('PUT', 'Subscription/mine', {
          body: makeSubscription({ id: 'mine' }),
          headers: { 'if-match': '1' },
        }),
      );
      expect(malformed.status).toBe(400);
    });

    it('refuses a body id that differs from the URL id', async () => {
      const { call } = setup();
      const response = await call(
        request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'yours' }) }),
      );
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({ expression: ['Subscription.id'] });
    });
  });

  describe('GET Subscription/{id}', () => {
    it('reads a stored subscription with its ETag', async () => {
      const { call } = setup();
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }));
      const response = await call(request('GET', 'Subscription/mine'));
      expect(response.status).toBe(200);
      expect(response.headers?.etag).toBe('W/"1"');
      expect(response.body).toMatchObject({ id: 'mine', status: 'active' });
    });

    it('answers 404 for an unknown id and 410 for a deleted one', async () => {
      const { call } = setup();
      expect((await call(request('GET', 'Subscription/nobody'))).status).toBe(404);
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }));
      await call(request('DELETE', 'Subscription/mine'));
      const gone = await call(request('GET', 'Subscription/mine'));
      expect(gone.status).toBe(410);
      expect(issueOf(gone.body)).toMatchObject({ code: 'deleted' });
    });

    it('shows an active subscription past its end as off', async () => {
      const { call, advance } = setup();
      const end = new Date(T0.getTime() + 60_000).toISOString();
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine', end }) }));
      expect((await call(request('GET', 'Subscription/mine'))).body).toMatchObject({ status: 'active' });
      advance(60_000);
      expect((await call(request('GET', 'Subscription/mine'))).body).toMatchObject({ status: 'off' });
    });

    it('answers 400 for an invalid id in the URL', async () => {
      const { call } = setup();
      expect((await call(request('GET', 'Subscription/..'))).status).toBe(400);
      expect((await call(request('GET', 'Subscription/a_b'))).status).toBe(400);
    });
  });

  describe('GET Subscription (search)', () => {
    const seed = async (call: ReturnType<typeof setup>['call']) => {
      await call(request('PUT', 'Subscription/a', { body: makeSubscription({ id: 'a' }) }));
      await call(request('PUT', 'Subscription/b', { body: makeSubscription({ id: 'b', status: 'off' }) }));
      await call(
        request('PUT', 'Subscription/c', { body: makeSubscription({ id: 'c' }, { endpoint: DATASTORE_B }) }),
      );
    };
    const idsOf = (body: unknown) => ((body as Bundle).entry ?? []).map((entry) => entry.resource?.id);

    it('lists every subscription without parameters', async () => {
      const { call } = setup();
      await seed(call);
      const response = await call(request('GET', 'Subscription'));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3 });
      expect(idsOf(response.body)).toEqual(['a', 'b', 'c']);
      expect((response.body as Bundle).entry?.[0]).toMatchObject({
        fullUrl: `${BASE}/Subscription/a`,
        search: { mode: 'match' },
      });
    });

    it('filters by status, with comma-separated alternatives', async () => {
      const { call } = setup();
      await seed(call);
      const active = await call(request('GET', 'Subscription', { query: { status: ['active'] } }));
      expect(idsOf(active.body)).toEqual(['a', 'c']);
      expect((active.body as Bundle).link?.[0]?.url).toBe(`${BASE}/Subscription?status=active`);
      const either = await call(request('GET', 'Subscription', { query: { status: ['off,error'] } }));
      expect(idsOf(either.body)).toEqual(['b']);
    });

    it('leaves deleted subscriptions out', async () => {
      const { call } = setup();
      await seed(call);
      await call(request('DELETE', 'Subscription/a'));
      expect(idsOf((await call(request('GET', 'Subscription'))).body)).toEqual(['b', 'c']);
    });

    it('refuses unknown search parameters and status codes', async () => {
      const { call } = setup();
      const unknown = await call(request('GET', 'Subscription', { query: { criteria: ['[*]'] } }));
      expect(unknown.status).toBe(400);
      expect(issueOf(unknown.body)).toMatchObject({ code: 'not-supported', expression: ['criteria'] });
      const badStatus = await call(request('GET', 'Subscription', { query: { status: ['paused'] } }));
      expect(badStatus.status).toBe(400);
    });
  });

  describe('DELETE Subscription/{id}', () => {
    it('answers 204, again 204 on a retry, and 404 for an id never seen', async () => {
      const { call, onChange } = setup();
      await call(request('PUT', 'Subscription/mine', { body: makeSubscription({ id: 'mine' }) }));
      const first = await call(request('DELETE', 'Subscription/mine'));
      expect(first.status).toBe(204);
      expect(first.body).toBeUndefined();
      expect((await call(request('DELETE', 'Subscription/mine'))).status).toBe(204);
      expect(onChange).toHaveBeenCalledTimes(2);
      expect((await call(request('DELETE', 'Subscription/never'))).status).toBe(404);
    });
  });

  describe('routing and errors', () => {
    it('answers 405 for methods the resource does not support', async () => {
      const { call } = setup();
      expect((await call(request('PATCH', 'Subscription/mine'))).status).toBe(405);
      expect((await call(request('DELETE', 'Subscription'))).status).toBe(405);
    });

    it('answers 404 for paths that are not Subscription interactions', async () => {
      const { call } = setup();
      expect((await call(request('GET', 'Patient/1'))).status).toBe(404);
      expect((await call(request('GET', 'Subscription/a/_history/1'))).status).toBe(404);
    });

    it('answers 500 without details when the store fails, and logs only the error name', async () => {
      const { call, store, logger } = setup();
      vi.spyOn(store, 'get').mockRejectedValue(new Error('secret detail'));
      const response = await call(request('GET', 'Subscription/mine'));
      expect(response.status).toBe(500);
      expect(JSON.stringify(response.body)).not.toContain('secret detail');
      expect(logger.error).toHaveBeenCalledWith('Subscription request failed', {
        requestId: 'req-1',
        error: 'Error',
      });
    });
  });

  describe('the auto-managed Subscription', () => {
    it('answers 403 naming the configuration option to PUT and DELETE, and changes nothing', async () => {
      const { call, deps, store } = setup();
      const owned = { ...deps, deploymentOwnedId: 'hlc-prod' };
      await store.save({ ...makeSubscription({ id: 'hlc-prod' }), id: 'hlc-prod', status: 'active' });
      for (const req of [
        request('PUT', 'Subscription/hlc-prod', {
          body: makeSubscription({ id: 'hlc-prod', status: 'off' }),
        }),
        request('DELETE', 'Subscription/hlc-prod'),
      ]) {
        const response = await handleSubscriptionRequest(req, owned);
        expect(response.status).toBe(403);
        expect(issueOf(response.body)).toMatchObject({
          code: 'forbidden',
          diagnostics: expect.stringMatching(/autoSubscription\.criteria and autoSubscription\.enabled/),
        });
      }
      const record = await store.get('hlc-prod');
      expect(record).toMatchObject({ deleted: false, versionId: '1', resource: { status: 'active' } });
      const read = await handleSubscriptionRequest(request('GET', 'Subscription/hlc-prod'), owned);
      expect(read.status).toBe(200);
      // Other Subscriptions stay manageable.
      expect(
        (await call(request('PUT', 'Subscription/labs', { body: makeSubscription({ id: 'labs' }) }))).status,
      ).toBe(201);
    });
  });

  describe('bounds', () => {
    it('answers 422 to a create past maxSubscriptions, storing nothing; updates still work', async () => {
      const { deps, store } = setup();
      const bounded = { ...deps, maxSubscriptions: 2 };
      const put = (id: string, body = makeSubscription({ id })) =>
        handleSubscriptionRequest(request('PUT', `Subscription/${id}`, { body }), bounded);
      expect((await put('a')).status).toBe(201);
      expect((await put('b')).status).toBe(201);
      const third = await put('c');
      expect(third.status).toBe(422);
      expect(issueOf(third.body)).toMatchObject({
        code: 'business-rule',
        diagnostics: expect.stringMatching(/subscriptions\.maxCount/),
      });
      const posted = await handleSubscriptionRequest(
        request('POST', 'Subscription', { body: makeSubscription() }),
        bounded,
      );
      expect(posted.status).toBe(422);
      expect((await store.list()).map((resource) => resource.id)).toEqual(['a', 'b']);
      expect((await put('a', makeSubscription({ id: 'a', reason: 'changed' }))).status).toBe(200);
    });

    it('defaults to 100 Subscriptions', async () => {
      const { call } = setup();
      for (let index = 0; index < 100; index += 1) {
        const id = `s${index}`;
        expect(
          (await call(request('PUT', `Subscription/${id}`, { body: makeSubscription({ id }) }))).status,
        ).toBe(201);
      }
      const response = await call(
        request('PUT', 'Subscription/s100', { body: makeSubscription({ id: 's100' }) }),
      );
      expect(response.status).toBe(422);
    });
  });

  describe('channel.header', () => {
    it('is dropped with a warning in the answer, never stored or returned', async () => {
      const { call, store } = setup();
      const body = makeSubscription(
        { id: 'hdr' },
        {
          header: ['Authorization: Bearer secret-value'],
          extension: [channelExtension.sendDeleteMessages(true), channelExtension.deliverLatestVersion(true)],
        },
      );
      const response = await call(request('PUT', 'Subscription/hdr', { body }));
      expect(response.status).toBe(201);
      expect(response.headers).toMatchObject({ location: `${BASE}/Subscription/hdr/_history/1` });
      expect(response.body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [
          { severity: 'warning', code: 'informational', expression: ['Subscription.channel.header'] },
          { severity: 'information', diagnostics: 'Subscription/hdr created' },
        ],
      });
      expect(JSON.stringify(response.body)).not.toContain('secret-value');
      expect(JSON.stringify(await store.get('hdr'))).not.toContain('secret-value');
      const read = await call(request('GET', 'Subscription/hdr'));
      expect((read.body as Subscription).channel.header).toBeUndefined();
      const representation = await call(
        request('PUT', 'Subscription/hdr', { body, headers: { prefer: 'return=representation' } }),
      );
      expect(representation.body).toMatchObject({ resourceType: 'Subscription', id: 'hdr' });
      expect(JSON.stringify(representation.body)).not.toContain('secret-value');
    });

    it('is never returned from a Subscription stored before headers were dropped', async () => {
      const { call, store } = setup();
      await store.save({
        ...makeSubscription({ id: 'old' }, { header: ['Authorization: Bearer old-secret'] }),
        id: 'old',
        status: 'active',
      });
      const read = await call(request('GET', 'Subscription/old'));
      expect(JSON.stringify(read.body)).not.toContain('old-secret');
      const search = await call(request('GET', 'Subscription'));
      expect(JSON.stringify(search.body)).not.toContain('old-secret');
    });
  });
});
