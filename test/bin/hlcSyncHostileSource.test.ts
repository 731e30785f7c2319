import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { FhirApiClient, UnsafeApiPathError } from '../../shared/operator/FhirApiClient.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../shared/fhirClient/fakeHttpServer.js';

const TOKEN = 'ingest-admin-token-never-elsewhere';

const capture = (env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env };
  return { io, out, err, text: () => [...out, ...err].join('\n') };
};

/**
 * A source that lies: its CapabilityStatement lists `http:` and path tricks as types, and every search
 * answers resources whose type and id would, pasted into a path, name another host (the evil listener).
 */
const hostileEntries = (evilHost: string) => [
  { resourceType: 'http:', id: `/${evilHost}/stolen` },
  { resourceType: 'https:', id: `//${evilHost}/stolen` },
  { resourceType: `/${evilHost}`, id: 'stolen' },
  { resourceType: 'Patient', id: `/${evilHost}/stolen` },
  { resourceType: 'Patient', id: '..%2F..%2F..%2Fstolen' },
  { resourceType: 'Patient', id: '..' },
  { resourceType: 'Patient', id: 'a'.repeat(65) },
  { resourceType: 'Patient', id: 7 },
  { resourceType: 'Observation', id: 'other-type', status: 'final', code: { text: 'x' } },
  { resourceType: 'Patient', id: 'honest-1', active: true },
];

describe('CLI: hlc sync and send against a malicious source', () => {
  let evil: FakeHttpServer;
  let ingest: FakeHttpServer;
  let source: FakeHttpServer;
  let evilHost: string;
  let folder: string;

  beforeAll(async () => {
    evil = await startFakeHttpServer((_request, _body, response) => json(response, 200, {}));
    evilHost = new URL(evil.url).host;
    ingest = await startFakeHttpServer((request, _body, response) =>
      request.url === '/'
        ? json(response, 200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] })
        : json(response, 201, {}),
    );
    source = await startFakeHttpServer((request, _body, response) => {
      if (request.url?.startsWith('/fhir/metadata')) {
        const types = ['http:', `//${evilHost}`, 'Patient'];
        json(response, 200, {
          resourceType: 'CapabilityStatement',
          rest: [
            {
              mode: 'server',
              resource: types.map((type) => ({ type, interaction: [{ code: 'search-type' }] })),
            },
          ],
        });
        return;
      }
      // Every search, whatever its path, answers the hostile entries.
      json(response, 200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: hostileEntries(evilHost).map((resource) => ({ resource, search: { mode: 'match' } })),
      });
    });
    folder = await mkdtemp(join(tmpdir(), 'hlc-hostile-'));
    await writeFile(
      join(folder, 'hostile.ndjson'),
      hostileEntries(evilHost)
        .map((resource) => JSON.stringify(resource))
        .join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([evil?.stop(), ingest?.stop(), source?.stop()]);
  });
  beforeEach(() => {
    for (const server of [evil, ingest, source]) server.requests.splice(0);
  });

  const expectTokenStayedHome = () => {
    expect(evil.requests).toEqual([]);
    expect(source.requests.filter((request) => JSON.stringify(request.headers).includes(TOKEN))).toEqual([]);
    for (const request of ingest.requests) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  };

  it('sync from the server: every type is checked against R4 and every id against the FHIR id pattern; nothing reaches another host', async () => {
    const run = capture();
    const code = await runCli(['sync', `${source.url}/fhir`, '--api', ingest.url, '--token', TOKEN], run.io);
    expectTokenStayedHome();
    // Only the R4 type is searched, and only the honest Patient is written.
    expect(source.requests.map((request) => request.url.split('?')[0])).toEqual([
      '/fhir/metadata',
      '/fhir/Patient',
    ]);
    expect(ingest.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'PUT /Patient/honest-1',
    ]);
    expect(code).toBe(1); // the refused ones count as failed
    const output = run.text();
    expect(output).toContain('2 type(s) in the source');
    expect(output).toContain('Patient/(invalid id): not sent Patient id is not a FHIR id');
    expect(output).toContain('a Patient search answered a resource of another type');
    expect(output).not.toContain('stolen');
    expect(output).not.toContain(evilHost);
  });

  it('sync with --type http: is refused before anything is read', async () => {
    const run = capture();
    const code = await runCli(
      ['sync', `${source.url}/fhir`, '--type', 'http:', '--api', ingest.url, '--token', TOKEN],
      run.io,
    );
    expect(code).toBe(1);
    expect(run.text()).toContain('not an R4 resource type');
    expect(source.requests).toEqual([]);
    expectTokenStayedHome();
  });

  it('sync from a search URL source keeps to the same checks', async () => {
    const run = capture();
    await runCli(
      ['sync', '-s', `${source.url}/fhir/Patient?name=x`, '-t', ingest.url, '--target-bearer-token', TOKEN],
      run.io,
    );
    expectTokenStayedHome();
    expect(source.requests.map((request) => request.url)).toEqual(['/fhir/Patient?name=x&_count=100']);
    expect(ingest.requests.map((request) => `${request.method} ${request.url}`).sort()).toEqual([
      'PUT /Observation/other-type',
      'PUT /Patient/honest-1',
    ]);
  });

  it('send from a file: a resource whose type or id would leave the API is refused, the rest is sent', async () => {
    const run = capture();
    const code = await runCli(['send', folder, '--api', ingest.url, '--token', TOKEN], run.io);
    expect(code).toBe(1);
    expectTokenStayedHome();
    expect(ingest.requests.map((request) => `${request.method} ${request.url}`).sort()).toEqual([
      'PUT /Observation/other-type',
      'PUT /Patient/honest-1',
    ]);
    expect(run.text()).toContain('hostile.ndjson:1: not sent resourceType is not an R4 resource type');
    expect(run.text()).not.toContain(evilHost);
  });
});

describe('FhirApiClient: calls only the ingest API', () => {
  const client = new FhirApiClient({ baseUrl: 'http://127.0.0.1:8080/prod', token: TOKEN });

  it.each([
    ['an absolute URL of another host', 'http://evil.example:8080/stolen'],
    ['a scheme with one slash', 'http:/evil.example:8080/stolen'],
    ['an upper-case scheme', 'HTTP://evil.example/stolen'],
    ['a scheme-relative URL', '//evil.example/stolen'],
    ['backslashes', '\\\\evil.example\\stolen'],
    ['the same host on another port', 'http://127.0.0.1:8081/prod/Patient/1'],
    ['the same origin outside the base path', 'http://127.0.0.1:8080/other/Patient/1'],
    ['embedded credentials', 'http://user:pw@127.0.0.1:8080/prod/Patient/1'],
    ['a dot-dot segment', 'Patient/../../other'],
    ['a dot segment', './Patient'],
    ['an encoded slash', 'Patient/..%2F..%2Fother'],
    ['an encoded dot', 'Patient/%2e%2e/x'],
    ['a tab, which URL parsers drop', 'ht\ttp://evil.example/'],
    ['a newline', 'Patient/1\n'],
  ])('refuses %s', async (_name, path) => {
    expect(() => client.url(path)).toThrow(UnsafeApiPathError);
    await expect(client.request('PUT', path, {})).rejects.toThrow(UnsafeApiPathError);
  });

  it('accepts its own paths and the Content-Location of its own jobs', () => {
    expect(client.url('Patient/123')).toBe('http://127.0.0.1:8080/prod/Patient/123');
    expect(client.url('/Subscription/a.b-c')).toBe('http://127.0.0.1:8080/prod/Subscription/a.b-c');
    expect(client.url('http://127.0.0.1:8080/prod/$backfill-job/j1')).toBe(
      'http://127.0.0.1:8080/prod/$backfill-job/j1',
    );
    expect(client.url('Observation?code=http://loinc.org|1234-5')).toContain('/prod/Observation?code=');
  });
});
