import type { IncomingHttpHeaders } from 'node:http';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import {
  seedResources,
  startHealthLakeStandin,
  verifySigV4,
  type FhirStandin,
} from '../../local/standins/healthlake/index.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../shared/fhirClient/fakeHttpServer.js';

const capture = (env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => out.push(line), isTTY: false, env };
  return { io, text: () => out.join('\n') };
};

const patients = ['1', '2', 'abc'].map((id) => ({ resourceType: 'Patient', id, active: true }));
const observations = [
  {
    resourceType: 'Observation',
    id: '7',
    status: 'final',
    code: { text: 'x' },
    subject: { reference: 'Patient/1' },
  },
];

/** A source that answers only requests carrying `expected` as Authorization, and a token endpoint. */
const startSource = (expected: () => string) =>
  startFakeHttpServer((request, body, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/token') {
      const form = new URLSearchParams(body);
      const basic = `Basic ${Buffer.from('sync-client:client-secret-1').toString('base64')}`;
      if (form.get('grant_type') !== 'client_credentials' || request.headers.authorization !== basic) {
        json(response, 401, { error: 'invalid_client' });
      } else json(response, 200, { access_token: 'oauth-token-1', token_type: 'Bearer', expires_in: 3600 });
      return;
    }
    if (request.headers.authorization !== expected()) {
      json(response, 401, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'login' }],
      });
      return;
    }
    const resources = path === '/fhir/Patient' ? patients : path === '/fhir/Observation' ? observations : [];
    json(response, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })),
    });
  });

describe('CLI: hlc sync', () => {
  let ingest: FakeHttpServer;
  let source: FakeHttpServer;
  let expectedAuth = '';

  beforeAll(async () => {
    ingest = await startFakeHttpServer((request, _body, response) =>
      request.url === '/'
        ? json(response, 200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] })
        : json(response, 201, {}),
    );
    source = await startSource(() => expectedAuth);
  });
  afterAll(async () => {
    await Promise.all([ingest?.stop(), source?.stop()]);
  });
  beforeEach(() => {
    ingest.requests.splice(0);
    source.requests.splice(0);
  });
  afterEach(() => vi.unstubAllEnvs());

  const written = () => ingest.requests.map((request) => `${request.method} ${request.url}`);

  describe('logs in to the source as backfill does', () => {
    it('with a bearer token from HLC_SOURCE_TOKEN (or --source-bearer-token)', async () => {
      expectedAuth = 'Bearer source-token-1';
      const run = capture({ HLC_SOURCE_TOKEN: 'source-token-1' });
      expect(
        await runCli(['sync', `${source.url}/fhir`, '--type', 'Patient', '--api', ingest.url], run.io),
      ).toBe(0);
      expect(written()).toEqual(['PUT /Patient/1', 'PUT /Patient/2', 'PUT /Patient/abc']);
    });

    it('with basic auth', async () => {
      expectedAuth = `Basic ${Buffer.from('u:p:w').toString('base64')}`;
      const run = capture();
      const code = await runCli(
        ['sync', `${source.url}/fhir`, '-r', 'Patient', '--source-basic-auth', 'u:p:w', '--api', ingest.url],
        run.io,
      );
      expect(code).toBe(0);
      expect(written()).toHaveLength(3);
    });

    it('with OAuth2 client credentials', async () => {
      expectedAuth = 'Bearer oauth-token-1';
      const run = capture({ HLC_SOURCE_CLIENT_SECRET: 'client-secret-1' });
      const code = await runCli(
        [
          'sync',
          `${source.url}/fhir`,
          '--type',
          'Patient',
          '--api',
          ingest.url,
          '--source-token-url',
          `${source.url}/token`,
          '--source-client-id',
          'sync-client',
        ],
        run.io,
      );
      expect(run.text()).toContain('3 ok, 0 failed');
      expect(code).toBe(0);
      expect(source.requests.filter((request) => request.url === '/token')).toHaveLength(1);
    });

    it("and fails with the source's status, writing nothing, when the login is wrong", async () => {
      expectedAuth = 'Bearer right';
      const run = capture();
      const code = await runCli(
        [
          'sync',
          `${source.url}/fhir`,
          '--type',
          'Patient',
          '--source-bearer-token',
          'wrong',
          '--api',
          ingest.url,
        ],
        run.io,
      );
      expect(code).toBe(1);
      expect(run.text()).toContain('Source answered HTTP 401');
      expect(ingest.requests).toEqual([]);
    });
  });

  describe('with SigV4 against a HealthLake-like source', () => {
    let healthLake: FhirStandin;
    beforeAll(async () => {
      healthLake = await startHealthLakeStandin();
      seedResources(healthLake.store, patients as Parameters<typeof seedResources>[1]);
    });
    afterAll(async () => healthLake?.stop());

    it('signs every read with the SDK default chain credentials (service healthlake)', async () => {
      const credentials = healthLake.baseCredentials;
      vi.stubEnv('AWS_ACCESS_KEY_ID', credentials!.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials!.secretAccessKey);
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      const run = capture();
      const code = await runCli(
        [
          'sync',
          healthLake.endpoint,
          '--type',
          'Patient',
          '--source-auth',
          'sigv4',
          '--source-region',
          'us-east-1',
          '--api',
          ingest.url,
        ],
        run.io,
      );
      expect(run.text()).toContain('3 ok, 0 failed');
      expect(code).toBe(0);
    });
  });

  describe('accepts smileutil synchronize-fhir-servers spellings', () => {
    it('runs a smileutil COPY command line unchanged', async () => {
      expectedAuth = 'Bearer source-token-2';
      const run = capture();
      const code = await runCli(
        [
          'sync',
          '-s',
          `${source.url}/fhir`,
          '-t',
          ingest.url,
          '-v',
          'r4',
          '-m',
          'COPY',
          '-r',
          'Observation,Patient',
          '--thread-count',
          '2',
          '--source-bearer-token',
          'source-token-2',
          '--target-bearer-token',
          'target-token-2',
          '--target-retry-count',
          '2',
          '--request-id',
          'nightly-2026-01-01',
          '--prefix-numeric-ids',
          'PFX',
        ],
        run.io,
      );
      expect(run.text()).toContain('4 ok, 0 failed');
      expect(code).toBe(0);
      // Types in the order given, each complete before the next; numeric ids prefixed.
      expect(written()).toEqual([
        'PUT /Observation/PFX7',
        'PUT /Patient/PFX1',
        'PUT /Patient/PFX2',
        'PUT /Patient/abc',
      ]);
      for (const request of ingest.requests) {
        expect(request.headers.authorization).toBe('Bearer target-token-2');
        expect(request.headers['x-request-id']).toBe('nightly-2026-01-01');
      }
      expect(
        source.requests.every((request) => request.headers['x-request-id'] === 'nightly-2026-01-01'),
      ).toBe(true);
    });

    it('copies selected --resource-ids', async () => {
      const reads = await startFakeHttpServer((request, _body, response) =>
        json(response, 200, {
          resourceType: 'Patient',
          id: (request.url ?? '').split('/').pop(),
          active: true,
        }),
      );
      try {
        const run = capture();
        const code = await runCli(
          ['sync', '-s', reads.url, '-t', ingest.url, '--resource-ids', 'Patient/123,Patient/456'],
          run.io,
        );
        expect(code).toBe(0);
        expect(written()).toEqual(['PUT /Patient/123', 'PUT /Patient/456']);
      } finally {
        await reads.stop();
      }
    });

    it('reads file:// and file: sources, NDJSON line by line, and SYNTHEA mode', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'hlc-sync-files-'));
      await mkdir(join(folder, 'export'));
      await writeFile(
        join(folder, 'export', 'Patient.ndjson'),
        patients.map((p) => JSON.stringify(p)).join('\n'),
      );
      let run = capture();
      expect(
        await runCli(
          ['sync', '-s', pathToFileURL(join(folder, 'export')).href + '/', '-t', ingest.url],
          run.io,
        ),
      ).toBe(0);
      expect(written()).toEqual(['PUT /Patient/1', 'PUT /Patient/2', 'PUT /Patient/abc']);
      ingest.requests.splice(0);
      run = capture();
      const relativeUrl = `file:${relative(process.cwd(), join(folder, 'export'))}`;
      expect(
        await runCli(['sync', '--source', relativeUrl, '--target', ingest.url, '-m', 'synthea'], run.io),
      ).toBe(0);
      expect(written()).toHaveLength(3);
    });

    it('sends other Bundles whole as transactions with --upload-bundles-as-transactions', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'hlc-sync-bundles-'));
      await writeFile(
        join(folder, 'collection.json'),
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'collection',
          entry: patients.map((resource) => ({
            resource,
            request: { method: 'PUT', url: `Patient/${resource.id}` },
          })),
        }),
      );
      const run = capture();
      expect(
        await runCli(['sync', '-s', folder, '-t', ingest.url, '--upload-bundles-as-transactions'], run.io),
      ).toBe(0);
      expect(written()).toEqual(['POST /']);
      expect(JSON.parse(ingest.requests[0]!.body).type).toBe('transaction');
    });

    it.each([
      [['-m', 'COMPARE'], 'hlc reconcile start <subscriptionId> --mode compare'],
      [['-v', 'DSTU3'], 'must be R4'],
      [['-t', 'http://127.0.0.1:1', '-t', 'http://127.0.0.1:2'], 'one --target'],
      [['--target-basic-auth', 'u:p'], 'not basic auth'],
      [['--source-tls-auth', 'tls.json'], '--source-cert, --source-key and --source-ca'],
      [['--semaphore-path', 'Patient.id'], 'one FIFO group per Type/id'],
      [['--thread-count', '0'], '--thread-count must be a positive integer'],
    ])('refuses %j with a clear message', async (flags, message) => {
      const run = capture();
      expect(await runCli(['sync', '-s', `${source.url}/fhir`, ...flags], run.io)).toBe(2);
      expect(run.text()).toContain(message);
      expect(source.requests).toEqual([]);
    });

    it('refuses --resource-types with --resource-ids, as smileutil does', async () => {
      const run = capture();
      expect(
        await runCli(
          [
            'sync',
            '-s',
            `${source.url}/fhir`,
            '-r',
            'Patient',
            '--resource-ids',
            'Patient/1',
            '-t',
            ingest.url,
          ],
          run.io,
        ),
      ).toBe(1);
      expect(run.text()).toContain('cannot be combined');
    });
  });
});

describe('CLI: hlc against an API in IAM mode', () => {
  let api: FakeHttpServer;
  const verdicts: string[] = [];
  const credentials = { accessKeyId: 'AKIDHLCOPERATOR', secretAccessKey: 'operator-secret' };

  beforeAll(async () => {
    api = await startFakeHttpServer((request, body, response) => {
      const [path = '', rawQuery = ''] = (request.url ?? '').split('?');
      void verifySigV4(
        {
          method: request.method ?? '',
          path,
          rawQuery,
          headers: request.headers as IncomingHttpHeaders,
          body: Buffer.from(body),
        },
        {
          service: 'execute-api',
          region: 'eu-west-1',
          lookup: (id) => (id === credentials.accessKeyId ? credentials : undefined),
        },
      ).then((result) => {
        verdicts.push(result.ok ? 'signed' : result.failure);
        if (result.ok) json(response, 201, {});
        else json(response, 403, { message: result.message });
      });
    });
  });
  afterAll(async () => api?.stop());
  afterEach(() => vi.unstubAllEnvs());

  it('signs each request (service execute-api, body included) with --iam or HLC_AUTH=iam', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    const folder = await mkdtemp(join(tmpdir(), 'hlc-iam-'));
    await writeFile(join(folder, 'p.json'), JSON.stringify(patients[0]));
    expect(
      await runCli(['send', folder, '--iam', '--api', api.url, '--region', 'eu-west-1'], capture().io),
    ).toBe(0);
    const run = capture({ HLC_AUTH: 'iam', HLC_API_URL: api.url, AWS_REGION: 'eu-west-1' });
    expect(await runCli(['sync', folder], run.io)).toBe(0);
    expect(verdicts).toEqual(['signed', 'signed']);
    expect(
      api.requests.every((request) => request.headers.authorization?.startsWith('AWS4-HMAC-SHA256')),
    ).toBe(true);
    // Unsigned, the same API refuses: the signature is what let them in.
    expect(await runCli(['send', folder, '--api', api.url], capture().io)).toBe(1);
    expect(verdicts.at(-1)).toBe('missing');
  });
});
