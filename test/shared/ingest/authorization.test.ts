import { describe, expect, it } from 'vitest';
import type { FhirRequest, FhirResponse } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { requiredScope } from '../../../shared/ingest/routes/routeScope.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  ADMIN_CALLER,
  FakeMatcher,
  fhirRequest,
  patient,
  RecordingQueue,
  syntheaLikeTransaction,
  WRITE_CALLER,
} from '../../helpers/ingestFakes.js';

/** A router with every kind of route plugged in, recording which ones ran. */
const setup = () => {
  const ledger = new InMemoryVersionLedger();
  const queue = new RecordingQueue();
  const ran: string[] = [];
  const answer =
    (name: string) =>
    async (request: FhirRequest): Promise<FhirResponse> => (
      ran.push(`${name} ${request.path}`),
      { status: 200 }
    );
  const route = createIngestRouter({
    pipeline: new DefaultWritePipeline({ ledger, matcher: new FakeMatcher(), queue }),
    subscriptionRoute: answer('subscription'),
    triggerSubscriptionRoute: answer('trigger'),
    routes: [
      // Operations added later by other features, plugged in without a declaration: admin.
      async (request) =>
        /^(\$backfill-job|[A-Za-z]+\/[^/]+\/\$reset-version|\$reconcile)/.test(request.path)
          ? answer('operation')(request)
          : undefined,
      // A data-path operation that declares itself write.
      { scope: 'write', path: /^Patient\/[^/]+\/\$producer-op$/, route: async (r) => answer('declared')(r) },
    ],
  });
  return { ledger, queue, ran, route };
};

const ADMIN_REQUESTS: Array<Pick<FhirRequest, 'method' | 'path'> & { body?: unknown }> = [
  { method: 'PUT', path: 'Subscription/hlc-prod', body: { resourceType: 'Subscription' } },
  { method: 'DELETE', path: 'Subscription/hlc-prod' },
  { method: 'POST', path: 'Subscription', body: { resourceType: 'Subscription' } },
  { method: 'GET', path: 'Subscription' },
  { method: 'GET', path: 'Subscription/hlc-prod' },
  {
    method: 'POST',
    path: 'Subscription/hlc-prod/$trigger-subscription',
    body: { resourceType: 'Parameters' },
  },
  { method: 'GET', path: '$backfill-job/job-1' },
  { method: 'DELETE', path: '$backfill-job/job-1' },
  { method: 'POST', path: '$backfill-job/job-1/$cancel' },
  { method: 'POST', path: 'Patient/p1/$reset-version' },
  { method: 'POST', path: '$reconcile' },
  { method: 'POST', path: 'Patient/$anything' },
  { method: 'GET', path: 'Patient/p1/_history/1' },
  { method: 'PUT', path: 'NotAType/1', body: { resourceType: 'NotAType' } },
];

describe('Function: createIngestRouter (authorization)', () => {
  it('lets a write-scope caller send writes, transactions and read metadata', async () => {
    const env = setup();
    const put = await env.route(
      fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient(), caller: WRITE_CALLER }),
    );
    expect(put.status).toBe(200);
    const transaction = await env.route(
      fhirRequest({ method: 'POST', path: '', body: syntheaLikeTransaction(1), caller: WRITE_CALLER }),
    );
    expect(transaction.status).toBe(200);
    const remove = await env.route(
      fhirRequest({ method: 'DELETE', path: 'Patient/p1', caller: WRITE_CALLER }),
    );
    expect(remove.body).toBeUndefined();
    expect(remove.status).toBe(204);
    const metadata = await env.route(fhirRequest({ method: 'GET', path: 'metadata', caller: WRITE_CALLER }));
    expect(metadata.status).toBe(200);
  });

  it('answers 403 forbidden to a write-scope caller on every operator route, without running it', async () => {
    const env = setup();
    for (const request of ADMIN_REQUESTS) {
      const response = await env.route(fhirRequest({ ...request, caller: WRITE_CALLER }));
      expect({ path: request.path, status: response.status }).toEqual({ path: request.path, status: 403 });
      expect(response.body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'forbidden', diagnostics: expect.stringMatching(/admin scope/) }],
      });
    }
    expect(env.ran).toEqual([]);
    expect(env.queue.messages).toEqual([]);
  });

  it('lets an admin-scope caller reach every route (admin includes write)', async () => {
    const env = setup();
    for (const request of ADMIN_REQUESTS.slice(0, 11)) {
      const response = await env.route(fhirRequest({ ...request, caller: ADMIN_CALLER }));
      expect({ path: request.path, status: response.status }).toEqual({ path: request.path, status: 200 });
    }
    expect(env.ran).toHaveLength(11);
    const put = await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
    expect(put.status).toBe(200);
  });

  it('gives a Bundle no way around the scopes: Subscription and other non-clinical entries are refused', async () => {
    const env = setup();
    const response = await env.route(
      fhirRequest({
        method: 'POST',
        path: '',
        caller: WRITE_CALLER,
        body: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            { request: { method: 'DELETE', url: 'Subscription/hlc-prod' } },
            { request: { method: 'DELETE', url: 'Parameters/p' } },
            { request: { method: 'DELETE', url: 'NotAType/x' } },
          ],
        },
      }),
    );
    const entries = (response.body as { entry: Array<{ response: { status: string; outcome?: unknown } }> })
      .entry;
    expect(entries.map((entry) => entry.response.status)).toEqual([
      '400 Bad Request',
      '400 Bad Request',
      '400 Bad Request',
    ]);
    expect(JSON.stringify(entries[0]?.response.outcome)).toContain('Bundle.entry[0].request.url');
    expect(env.queue.messages).toEqual([]);
    expect(env.ran).toEqual([]);
  });

  it('lets a route declare the write scope for its paths', async () => {
    const env = setup();
    const response = await env.route(
      fhirRequest({ method: 'POST', path: 'Patient/p1/$producer-op', caller: WRITE_CALLER }),
    );
    expect(response.status).toBe(200);
    expect(env.ran).toEqual(['declared Patient/p1/$producer-op']);
  });

  it('fails closed: a request without an authenticated caller is refused, even on the data path', async () => {
    const env = setup();
    const request = { ...fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }) };
    delete (request as { caller?: unknown }).caller;
    const response = await env.route(request);
    expect(response.status).toBe(403);
    expect(env.queue.messages).toEqual([]);
    expect(await env.ledger.getLatest(['Patient/p1'])).toEqual(new Map());
  });
});

describe('Function: requiredScope', () => {
  it('is write only for the FHIR data path and admin for anything else', () => {
    expect(requiredScope('', [])).toBe('write');
    expect(requiredScope('metadata', [])).toBe('write');
    expect(requiredScope('Observation', [])).toBe('write');
    expect(requiredScope('Observation/o-1', [])).toBe('write');
    for (const path of [
      'Subscription',
      'Subscription/x',
      'Parameters/x',
      'Bundle/b',
      'Observation/o-1/$reset-version',
      'Observation/$reset-version',
      '$reconcile',
      '$backfill-job/j',
      '_local/config',
      'Unknown/1',
      'Observation/o-1/_history/2',
    ]) {
      expect({ path, scope: requiredScope(path, []) }).toEqual({ path, scope: 'admin' });
    }
  });
});
