import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cancelBackfillJob, getBackfillJob, startBackfill } from '../../../shared/operator/backfillOps.js';
import {
  FhirApiClient,
  outcomeDiagnostics,
  UnsafeApiPathError,
} from '../../../shared/operator/FhirApiClient.js';
import { resetVersions } from '../../../shared/operator/ledgerOps.js';
import { fetchLocalJson } from '../../../shared/operator/localAdmin.js';
import { localDelivery } from '../../../shared/operator/deliverySwitch.js';
import {
  cancelReconcileJob,
  formatReconcileReport,
  getReconcileJob,
  startReconcile,
  toReconcileView,
} from '../../../shared/operator/reconcileOps.js';
import {
  createSubscription,
  deleteSubscription,
  formatSubscription,
  getSubscription,
  listSubscriptions,
  subscriptionsOf,
} from '../../../shared/operator/subscriptionOps.js';

/** What the test server received, and what it answers next. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let received: Received[] = [];
let answer: { status: number; headers?: Record<string, string>; body?: string } = { status: 200 };
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answer = { status: 200 };
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
  answer = {
    status,
    headers: { 'content-type': 'application/fhir+json', ...headers },
    body: JSON.stringify(body),
  };
};
const client = (options: Partial<ConstructorParameters<typeof FhirApiClient>[0]> = {}) =>
  new FhirApiClient({ baseUrl: `${origin}/fhir/`, ...options });

describe('Class: FhirApiClient', () => {
  it('resolves relative and absolute paths on its own base only', () => {
    const api = new FhirApiClient({ baseUrl: 'https://api.test/prod///' });
    expect(api.baseUrl).toBe('https://api.test/prod');
    expect(api.url('Patient/1')).toBe('https://api.test/prod/Patient/1');
    expect(api.url('//Patient/1'.slice(1))).toBe('https://api.test/prod/Patient/1');
    expect(api.url('https://api.test/prod/$backfill-job/j1?x=1')).toBe(
      'https://api.test/prod/$backfill-job/j1?x=1',
    );
    expect(api.url('https://api.test:443/prod/Patient/1')).toBe('https://api.test/prod/Patient/1');
    expect(api.url('Patient?name=a%2Fb')).toBe('https://api.test/prod/Patient?name=a%2Fb');
  });

  it.each([
    ['another origin', 'https://evil.test/prod/Patient/1', /another origin or path/],
    ['a scheme-relative host', '//evil.test/prod/Patient/1', /an invalid URL/],
    ['another base path', 'https://api.test/other/Patient/1', /another origin or path/],
    ['credentials', 'https://user:pw@api.test/prod/Patient/1', /another origin or path/],
    ['a javascript: URL', 'javascript:alert(1)', /another origin or path|invalid URL/],
    ['a dot segment', 'Patient/../../admin', /a dot segment/],
    ['a lone dot segment', './Patient', /a dot segment/],
    ['an encoded slash', 'Patient/..%2F..%2Fadmin', /an encoded separator/],
    ['an encoded dot', 'Patient/%2e%2e/admin', /an encoded separator/],
    ['an encoded NUL', 'Patient/1%00', /an encoded separator/],
    ['a space', 'Patient/ 1', /whitespace or a backslash/],
    ['a backslash', 'Patient\\1', /whitespace or a backslash/],
    ['a DEL character', 'Patient/1\u007f', /whitespace or a backslash/],
    ['an absolute URL that does not parse', 'https://[::1/prod/x', /an invalid URL/],
  ])('refuses %s', (_what, path, reason) => {
    const api = new FhirApiClient({ baseUrl: 'https://api.test/prod' });
    expect(() => api.url(path)).toThrow(UnsafeApiPathError);
    expect(() => api.url(path)).toThrow(reason);
  });

  it('refuses a base URL that does not parse or is not http(s)', () => {
    expect(() => new FhirApiClient({ baseUrl: 'not a url' })).toThrow(
      'The ingest API URL is not a valid URL',
    );
    expect(() => new FhirApiClient({ baseUrl: 'ftp://api.test/' })).toThrow(
      'The ingest API URL must be http(s)',
    );
  });

  it('sends a bearer token, its headers and a JSON body, and parses the JSON answer', async () => {
    json(201, { resourceType: 'Patient', id: 'p1' }, { location: 'x' });
    const response = await client({ token: 't0k', headers: { 'x-request-id': 'r-1' } }).request(
      'PUT',
      'Patient/p1',
      {
        resourceType: 'Patient',
        id: 'p1',
      },
    );
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ resourceType: 'Patient', id: 'p1' });
    expect(response.headers.get('location')).toBe('x');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'PUT',
      url: '/fhir/Patient/p1',
      body: '{"resourceType":"Patient","id":"p1"}',
    });
    expect(received[0]?.headers).toMatchObject({
      authorization: 'Bearer t0k',
      'x-request-id': 'r-1',
      accept: 'application/fhir+json',
      'content-type': 'application/fhir+json',
    });
  });

  it('sends a string body as it is, and no content type or credentials without them', async () => {
    answer = { status: 200, body: 'plain words' };
    const response = await client().request('POST', 'Bundle', '{"resourceType":"Bundle"}');
    expect(received[0]?.body).toBe('{"resourceType":"Bundle"}');
    expect(response.body).toBe('plain words');
    await client().request('GET', 'metadata');
    expect(received[1]?.headers).not.toHaveProperty('content-type');
    expect(received[1]?.headers).not.toHaveProperty('authorization');
  });

  it('answers an empty body as undefined and never follows a redirect', async () => {
    answer = { status: 302, headers: { location: 'http://127.0.0.2:1/stolen' } };
    const response = await client({ token: 'secret' }).request('GET', 'Patient/1');
    expect(response.status).toBe(302);
    expect(response.body).toBeUndefined();
    expect(received).toHaveLength(1);
  });

  it('gives up on a server slower than its timeout', async () => {
    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const api = new FhirApiClient({
      baseUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      timeoutMs: 50,
    });
    await expect(api.request('GET', 'metadata')).rejects.toThrow();
    slow.closeAllConnections();
    await new Promise((resolve) => slow.close(resolve));
  });
});

describe('Function: outcomeDiagnostics', () => {
  it('joins the code and diagnostics of each issue of an OperationOutcome', () => {
    expect(
      outcomeDiagnostics({
        resourceType: 'OperationOutcome',
        issue: [
          { code: 'invalid', diagnostics: 'bad id' },
          { code: 'conflict' },
          { diagnostics: 'only text' },
          {},
        ],
      }),
    ).toBe('invalid: bad id; conflict; only text');
  });

  it('reads nothing from anything else', () => {
    expect(outcomeDiagnostics(undefined)).toBeUndefined();
    expect(outcomeDiagnostics('text')).toBeUndefined();
    expect(outcomeDiagnostics({ resourceType: 'Patient', issue: [] })).toBeUndefined();
    expect(outcomeDiagnostics({ resourceType: 'OperationOutcome', issue: 'x' })).toBeUndefined();
  });
});

describe('Backfill operations', () => {
  it('starts a backfill with HAPI Parameters and names the job from the body', async () => {
    json(
      202,
      { resourceType: 'Parameters', parameter: [{ name: 'jobId', valueString: 'job-7' }] },
      {
        'content-location': `${origin}/fhir/$backfill-job/job-7`,
      },
    );
    const started = await startBackfill(client(), 'sub 1', {
      resourceIds: ['Patient/a'],
      searchUrls: ['Observation?code=x'],
    });
    expect(received[0]?.url).toBe('/fhir/Subscription/sub%201/$trigger-subscription');
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'resourceId', valueUri: 'Patient/a' },
        { name: 'searchUrl', valueString: 'Observation?code=x' },
      ],
    });
    expect(started).toMatchObject({ jobId: 'job-7', location: `${origin}/fhir/$backfill-job/job-7` });
  });

  it('names the job from a plain jobId, or from the Location when the body does not', async () => {
    json(202, { jobId: 'plain' });
    expect((await startBackfill(client(), 's', {})).jobId).toBe('plain');
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ resourceType: 'Parameters', parameter: [] });
    json(
      202,
      { resourceType: 'Parameters', parameter: [{ name: 'other', valueString: 'x' }] },
      { location: '$backfill-job/a%20b/' },
    );
    expect(await startBackfill(client(), 's', {})).toMatchObject({
      jobId: 'a b',
      location: '$backfill-job/a%20b/',
    });
    json(400, { resourceType: 'OperationOutcome', issue: [] });
    const refused = await startBackfill(client(), 's', {});
    expect(refused).not.toHaveProperty('jobId');
    expect(refused).not.toHaveProperty('location');
  });

  it('reads a job from its Parameters status, by id or by location', async () => {
    json(200, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'jobId', valueString: 'job-7' },
        { name: 'state', valueCode: 'failed' },
        { name: 'reason', valueString: 'source refused' },
        { name: 'read', valueUnsignedInt: 5 },
        { name: 'matched', valueUnsignedInt: 4 },
        { name: 'enqueued', valueUnsignedInt: 3 },
        { name: 'skipped', valueUnsignedInt: 1 },
        { name: 'failed', valueUnsignedInt: 2 },
        { name: 'streamsDone', valueUnsignedInt: 1 },
        { name: 'streamCount', valueUnsignedInt: 2 },
      ],
    });
    const { job } = await getBackfillJob(client(), 'job 7');
    expect(received[0]?.url).toBe('/fhir/$backfill-job/job%207');
    expect(job).toEqual({
      jobId: 'job-7',
      state: 'failed',
      read: 5,
      matched: 4,
      enqueued: 3,
      skipped: 1,
      failed: 2,
      streams: 2,
      streamsDone: 1,
      reason: 'source refused',
      final: true,
    });
    await getBackfillJob(client(), `${origin}/fhir/$backfill-job/job-7`);
    expect(received[1]?.url).toBe('/fhir/$backfill-job/job-7');
  });

  it('reads a job from plain JSON counts, defaulting what is missing, and nothing from a 404', async () => {
    json(200, { status: 'running', counts: { read: 3, matched: 'x' }, streams: [{}, {}, {}] });
    expect((await getBackfillJob(client(), '/fhir/$backfill-job/j%201/')).job).toEqual({
      jobId: 'j 1',
      state: 'running',
      read: 3,
      matched: 0,
      enqueued: 0,
      skipped: 0,
      failed: 0,
      streams: 3,
      final: false,
    });
    json(200, 'not an object');
    expect((await getBackfillJob(client(), 'j')).job).toMatchObject({
      jobId: 'j',
      state: 'unknown',
      read: 0,
      final: false,
    });
    json(404, { resourceType: 'OperationOutcome', issue: [] });
    expect((await getBackfillJob(client(), 'j')).job).toBeUndefined();
  });

  it('cancels by id or location with DELETE', async () => {
    await cancelBackfillJob(client(), 'job-7');
    await cancelBackfillJob(client(), `${origin}/fhir/$backfill-job/job-8`);
    expect(received.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'DELETE /fhir/$backfill-job/job-7',
      'DELETE /fhir/$backfill-job/job-8',
    ]);
  });
});

describe('Reconcile operations', () => {
  const status = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'jobId', valueString: 'r-1' },
      { name: 'mode', valueCode: 'compare' },
      { name: 'state', valueCode: 'completed' },
      { name: 'reason', valueString: 'done early' },
      { name: 'streamsDone', valueUnsignedInt: 2 },
      { name: 'streamCount', valueUnsignedInt: 2 },
      {
        name: 'total',
        part: [
          { name: 'missing', valueUnsignedInt: 12 },
          { name: 'inSync', valueUnsignedInt: 3 },
        ],
      },
      {
        name: 'type',
        part: [
          { name: 'resourceType', valueCode: 'Patient' },
          { name: 'missing', valueUnsignedInt: 12 },
        ],
      },
      {
        name: 'sample',
        part: [
          { name: 'outcome', valueCode: 'missing' },
          { name: 'resource', valueReference: { reference: 'Patient/p1' } },
        ],
      },
      { name: 'idLists', valueUrl: 's3://b/reconcile/r-1/' },
    ],
  };

  it('starts a reconcile with every parameter given, and only those', async () => {
    json(
      202,
      { resourceType: 'Parameters', parameter: [{ name: 'jobId', valueString: 'r-1' }] },
      {
        'content-location': '$reconcile-job/r-1',
      },
    );
    const started = await startReconcile(client(), {
      subscriptionId: 'sub-1',
      mode: 'repair-and-prune',
      resourceTypes: ['Patient'],
      resourceIds: ['Patient/a'],
      searchUrls: ['Observation?code=x'],
      since: '2026-01-01',
      until: '2026-02-01',
      contentHash: true,
      pruneConfirmation: 0,
      compareJobId: 'r-0',
    });
    expect(started).toMatchObject({ jobId: 'r-1', location: '$reconcile-job/r-1' });
    expect(received[0]?.url).toBe('/fhir/$reconcile');
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'subscription', valueString: 'sub-1' },
        { name: 'mode', valueCode: 'repair-and-prune' },
        { name: 'resourceType', valueCode: 'Patient' },
        { name: 'resourceId', valueString: 'Patient/a' },
        { name: 'searchUrl', valueString: 'Observation?code=x' },
        { name: 'since', valueDateTime: '2026-01-01' },
        { name: 'until', valueDateTime: '2026-02-01' },
        { name: 'contentHash', valueBoolean: true },
        { name: 'pruneConfirmation', valueUnsignedInt: 0 },
        { name: 'compareJob', valueString: 'r-0' },
      ],
    });
    json(400, { resourceType: 'OperationOutcome', issue: [] });
    const refused = await startReconcile(client(), { subscriptionId: 'sub-1' });
    expect(JSON.parse(received[1]?.body ?? '').parameter).toEqual([
      { name: 'subscription', valueString: 'sub-1' },
    ]);
    expect(refused).not.toHaveProperty('jobId');
    expect(refused).not.toHaveProperty('location');
  });

  it('reads, shows and cancels a job', async () => {
    json(200, status);
    const { view } = await getReconcileJob(client(), 'r 1');
    expect(received[0]?.url).toBe('/fhir/$reconcile-job/r%201');
    expect(view).toMatchObject({
      jobId: 'r-1',
      mode: 'compare',
      state: 'completed',
      final: true,
      reason: 'done early',
      streams: 2,
      streamsDone: 2,
      samples: ['missing Patient/p1'],
      idLists: 's3://b/reconcile/r-1/',
    });
    expect(view?.total).toMatchObject({ missing: 12, inSync: 3, stale: 0 });
    expect(view?.byType).toEqual([
      expect.objectContaining({ resourceType: 'Patient', missing: 12, inSync: 0 }),
    ]);
    json(404, {});
    expect((await getReconcileJob(client(), `${origin}/fhir/$reconcile-job/r-2`)).view).toBeUndefined();
    await cancelReconcileJob(client(), 'r-1');
    expect(received.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /fhir/$reconcile-job/r%201',
      'GET /fhir/$reconcile-job/r-2',
      'DELETE /fhir/$reconcile-job/r-1',
    ]);
  });

  it('reads an empty status tolerantly', () => {
    expect(toReconcileView(undefined)).toMatchObject({
      jobId: '?',
      mode: '?',
      state: 'unknown',
      final: false,
      streams: 0,
      streamsDone: 0,
      byType: [],
      samples: [],
    });
    expect(toReconcileView({ parameter: [{ name: 'type', part: [] }, { name: 'sample' }] })).toMatchObject({
      byType: [expect.objectContaining({ resourceType: '?' })],
      samples: ['? ?'],
    });
  });

  it('formats the report as aligned columns with samples and id lists', () => {
    const lines = formatReconcileReport(toReconcileView(status));
    expect(lines[0]).toBe('job r-1  mode compare  completed  streams 2/2  reason: done early');
    expect(lines[1]).toBe(
      'type     in sync  missing  stale  only in HL  pinned  repaired  pin reset  pruned  invalid  conflict  unconfirmed  out of scope',
    );
    expect(lines[2]).toBe(
      'Patient        0       12      0           0       0         0          0       0        0         0            0             0',
    );
    expect(lines[3]).toBe(
      'total          3       12      0           0       0         0          0       0        0         0            0             0',
    );
    expect(lines.slice(4)).toEqual([
      'samples:',
      '  missing Patient/p1',
      'full id lists: s3://b/reconcile/r-1/',
    ]);
    const plain = formatReconcileReport(
      toReconcileView({ parameter: [{ name: 'jobId', valueString: 'r-2' }] }),
    );
    expect(plain[0]).toBe('job r-2  mode ?  unknown  streams 0/0');
    expect(plain).toHaveLength(3);
  });
});

describe('Subscription operations', () => {
  it('creates a subscription with the HAPI channel extensions, by PUT with an id and POST without', async () => {
    await createSubscription(client(), {
      id: 'sub 1',
      criteria: 'Patient?',
      endpoint: 'https://hl/r4/',
      reason: 'mine',
      sendDeleteMessages: false,
      deliverLatestVersion: false,
      deliveryRetryCount: 0,
      stripVersionIds: false,
      payloadSearchCriteria: 'Patient?_id=${matched_resource_id}',
    });
    expect(received[0]).toMatchObject({ method: 'PUT', url: '/fhir/Subscription/sub%201' });
    const prefix = 'http://hapifhir.io/fhir/StructureDefinition/';
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      resourceType: 'Subscription',
      id: 'sub 1',
      status: 'requested',
      reason: 'mine',
      criteria: 'Patient?',
      extension: [
        {
          url: `${prefix}subscription-payload-search-criteria`,
          valueString: 'Patient?_id=${matched_resource_id}',
        },
      ],
      channel: {
        type: 'rest-hook',
        endpoint: 'https://hl/r4/',
        payload: 'application/fhir+json',
        extension: [
          { url: `${prefix}subscription-send-delete-messages`, valueBoolean: false },
          { url: `${prefix}subscription-resthook-deliver-latest-version`, valueBoolean: false },
          { url: `${prefix}subscription-delivery-retry-count`, valueInteger: 0 },
          { url: `${prefix}subscription-resthook-strip-version-ids`, valueBoolean: false },
        ],
      },
    });
    await createSubscription(client(), { criteria: 'Patient?', endpoint: 'https://hl/r4/' });
    expect(received[1]).toMatchObject({ method: 'POST', url: '/fhir/Subscription' });
    expect(JSON.parse(received[1]?.body ?? '')).toEqual({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'Replicate to Amazon HealthLake',
      criteria: 'Patient?',
      channel: {
        type: 'rest-hook',
        endpoint: 'https://hl/r4/',
        payload: 'application/fhir+json',
        extension: [
          { url: `${prefix}subscription-send-delete-messages`, valueBoolean: true },
          { url: `${prefix}subscription-resthook-deliver-latest-version`, valueBoolean: true },
        ],
      },
    });
  });

  it('lists, reads and deletes', async () => {
    await listSubscriptions(client());
    await getSubscription(client(), 'a b');
    await deleteSubscription(client(), 'a b');
    expect(received.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /fhir/Subscription',
      'GET /fhir/Subscription/a%20b',
      'DELETE /fhir/Subscription/a%20b',
    ]);
  });

  it('finds the subscriptions of a Bundle or a single one, and formats each on one line', () => {
    const one = {
      resourceType: 'Subscription',
      id: 's1',
      status: 'active',
      criteria: 'Patient?',
      channel: { endpoint: 'https://hl' },
    };
    expect(subscriptionsOf(one)).toEqual([one]);
    expect(
      subscriptionsOf({
        resourceType: 'Bundle',
        entry: [{ resource: one }, { resource: { resourceType: 'Patient' } }, {}],
      }),
    ).toEqual([one]);
    expect(subscriptionsOf({ resourceType: 'Bundle' })).toEqual([]);
    expect(subscriptionsOf(null)).toEqual([]);
    expect(formatSubscription(one).startsWith('s1  active  Patient?  https://hl')).toBe(true);
    expect(formatSubscription({ error: 'endpoint refused' })).toContain('error: endpoint refused');
  });
});

describe('Ledger operation', () => {
  it('posts $reset-version to the target as typed, without surrounding slashes', async () => {
    await resetVersions(client(), '/Patient/p1/');
    await resetVersions(client(), 'Observation');
    expect(received.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'POST /fhir/Patient/p1/$reset-version',
      'POST /fhir/Observation/$reset-version',
    ]);
  });
});

describe('Local mode admin calls', () => {
  it('reads config and stats with the token, and nothing when refused or unreachable', async () => {
    json(200, { apiUrl: 'x' });
    expect(await fetchLocalJson(`${origin}/`, 'config', 'tok')).toEqual({ apiUrl: 'x' });
    expect(received[0]).toMatchObject({ method: 'GET', url: '/_local/config' });
    expect(received[0]?.headers.authorization).toBe('Bearer tok');
    await fetchLocalJson(origin, 'stats');
    expect(received[1]?.url).toBe('/_local/stats');
    expect(received[1]?.headers).not.toHaveProperty('authorization');
    json(403, {});
    expect(await fetchLocalJson(origin, 'stats')).toBeUndefined();
    expect(await fetchLocalJson('http://127.0.0.1:1', 'stats')).toBeUndefined();
  });

  it('reads, pauses and resumes local delivery, and fails on another status', async () => {
    json(200, { state: 'Enabled', mappingId: 'local' });
    expect(await localDelivery(`${origin}/`, 'state', 'tok')).toEqual({
      state: 'Enabled',
      mappingId: 'local',
    });
    await localDelivery(origin, 'pause');
    await localDelivery(origin, 'resume', 'tok');
    expect(received.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'GET /_local/delivery',
      'POST /_local/delivery/pause',
      'POST /_local/delivery/resume',
    ]);
    expect(received[0]?.headers.authorization).toBe('Bearer tok');
    expect(received[1]?.headers).not.toHaveProperty('authorization');
    json(401, {});
    await expect(localDelivery(origin, 'pause')).rejects.toThrow('Local mode answered HTTP 401 to pause');
  });
});
