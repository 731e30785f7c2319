import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../local/standins/healthlake/index.js';
import { seedResources, startFhirSourceStandin } from '../../../local/standins/healthlake/index.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import { bearerAuth } from '../../../shared/fhirClient/SourceAuth.js';
import { FhirClient, parseRetryAfter } from '../../../shared/fhirClient/FhirClient.js';
import { TokenBucket } from '../../../shared/fhirClient/TokenBucket.js';
import { patient } from '../backfill/harness.js';
import type { FakeHttpServer } from './fakeHttpServer.js';
import { json, startFakeHttpServer } from './fakeHttpServer.js';

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('FhirClient against the source stand-in', () => {
  let source: FhirStandin;
  beforeAll(async () => {
    source = await startFhirSourceStandin({ auth: { bearer: 'source-token' } });
    seedResources(
      source.store,
      Array.from({ length: 23 }, (_, i) => patient(`p${i}`)),
    );
  });
  afterAll(async () => {
    await source.stop();
  });
  afterEach(() => source.faults.reset());

  const client = (token = 'source-token') =>
    new FhirClient({ baseUrl: source.endpoint, auth: bearerAuth(token), pageSize: 10, retry: fast });

  it('adds _count to a search and follows next links page by page', async () => {
    const reader = client();
    const first = reader.resolveSearchUrl('Patient?gender=unknown');
    expect(new URL(first).searchParams.get('_count')).toBe('10');
    const ids: string[] = [];
    let pages = 0;
    for (let url: string | undefined = first; url; pages += 1) {
      const page = await reader.searchPage(url);
      ids.push(...page.resources.map((r) => r.id ?? ''));
      url = page.nextUrl;
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(23);
  });

  it('keeps a _count the search already sets', () => {
    expect(new URL(client().resolveSearchUrl('Patient?_count=3')).searchParams.getAll('_count')).toEqual([
      '3',
    ]);
  });

  it('reads a resource by id and answers undefined for an unknown id', async () => {
    const reader = client();
    expect((await reader.read('Patient', 'p3'))?.id).toBe('p3');
    expect(await reader.read('Patient', 'unknown')).toBeUndefined();
  });

  it('retries a request that fails twice and then succeeds', async () => {
    source.faults.failNext({ method: 'GET', resourceType: 'Patient', id: 'p1' }, 'server-error', 2);
    expect((await client().read('Patient', 'p1'))?.id).toBe('p1');
    expect(source.faults.injected['server-error']).toBe(2);
  });

  it('gives up with a transient error when the source keeps failing', async () => {
    source.faults.failNext({ method: 'GET', id: 'p2' }, 'unavailable', 5);
    await expect(client().read('Patient', 'p2')).rejects.toBeInstanceOf(TransientSourceError);
  });

  it('treats a refused token as permanent', async () => {
    const error = await client('wrong')
      .read('Patient', 'p1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect((error as PermanentSourceError).status).toBe(401);
  });
});

describe('FhirClient against scripted servers', () => {
  let server: FakeHttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('refuses a next link to another host', async () => {
    server = await startFakeHttpServer((_req, _body, res) =>
      json(res, 200, {
        resourceType: 'Bundle',
        link: [{ relation: 'next', url: 'http://evil.test/fhir/Patient?page=2' }],
        entry: [],
      }),
    );
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, retry: fast });
    await expect(reader.searchPage(reader.resolveSearchUrl('Patient?x=1'))).rejects.toThrow(
      /outside the source server/,
    );
  });

  it('refuses a next link on the same host but another port or outside the base path', async () => {
    const port = Number(new URL((server = await startFakeHttpServer(() => undefined)).url).port);
    const reader = new FhirClient({ baseUrl: `http://127.0.0.1:${port}/fhir/`, retry: fast });
    await expect(reader.searchPage(`http://127.0.0.1:${port + 1}/fhir/Patient?x=1`)).rejects.toThrow(
      PermanentSourceError,
    );
    await expect(reader.searchPage(`http://127.0.0.1:${port}/admin/Patient?x=1`)).rejects.toThrow(
      PermanentSourceError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('honours Retry-After on 429', async () => {
    let calls = 0;
    server = await startFakeHttpServer((_req, _body, res) => {
      calls += 1;
      if (calls === 1) json(res, 429, { resourceType: 'OperationOutcome' }, { 'retry-after': '2' });
      else json(res, 200, { resourceType: 'Patient', id: 'a' });
    });
    const waits: number[] = [];
    const reader = new FhirClient({
      baseUrl: `${server.url}/fhir`,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10_000 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect((await reader.read('Patient', 'a'))?.id).toBe('a');
    expect(waits).toEqual([2000]);
  });

  it('retries a request that times out', async () => {
    let calls = 0;
    server = await startFakeHttpServer((_req, _body, res) => {
      calls += 1;
      if (calls > 1) json(res, 200, { resourceType: 'Patient', id: 'a' });
      // the first request is left hanging
    });
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, timeoutMs: 200, retry: fast });
    expect((await reader.read('Patient', 'a'))?.id).toBe('a');
    expect(calls).toBe(2);
  });

  it('fails a search the source rejects with 400 as permanent, without retrying', async () => {
    server = await startFakeHttpServer((_req, _body, res) =>
      json(res, 400, { resourceType: 'OperationOutcome' }),
    );
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, retry: fast });
    await expect(reader.searchPage(reader.resolveSearchUrl('Patient?bad=1'))).rejects.toThrow(
      /HTTP 400 to a search/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('leaves out _include and outcome entries of a search page', async () => {
    server = await startFakeHttpServer((_req, _body, res) =>
      json(res, 200, {
        resourceType: 'Bundle',
        entry: [
          { resource: { resourceType: 'Observation', id: 'o1' }, search: { mode: 'match' } },
          { resource: { resourceType: 'Patient', id: 'p1' }, search: { mode: 'include' } },
          { resource: { resourceType: 'OperationOutcome', id: 'x' }, search: { mode: 'outcome' } },
          { resource: { resourceType: 'Observation', id: 'o2' } },
        ],
      }),
    );
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, retry: fast });
    const page = await reader.searchPage(reader.resolveSearchUrl('Observation?_include=Observation:subject'));
    expect(page.resources.map((r) => r.id)).toEqual(['o1', 'o2']);
    expect(page.nextUrl).toBeUndefined();
  });

  it('returns what a read answered, for the worker to check it is the resource asked for', async () => {
    server = await startFakeHttpServer((_req, _body, res) =>
      json(res, 200, { resourceType: 'Patient', id: 'other' }),
    );
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, retry: fast });
    await expect(reader.read('Patient', 'a')).resolves.toEqual({ resourceType: 'Patient', id: 'other' });
  });

  it('limits the request rate with its token bucket', async () => {
    server = await startFakeHttpServer((_req, _body, res) =>
      json(res, 200, { resourceType: 'Patient', id: 'a' }),
    );
    const reader = new FhirClient({
      baseUrl: `${server.url}/fhir`,
      requestsPerSecond: 20,
      retry: fast,
    });
    const started = performance.now();
    await Promise.all(Array.from({ length: 30 }, () => reader.read('Patient', 'a')));
    // a burst of 20, then 10 more at 20/s: at least ~500 ms
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
  });
});

describe('parseRetryAfter and TokenBucket', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('lets a disabled bucket through at once', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 0 });
    await expect(Promise.all([bucket.take(), bucket.take()])).resolves.toHaveLength(2);
  });
});
