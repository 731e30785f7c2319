import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../bin/runCli.js';
import { parseClientCertificateSecret } from '../../../shared/fhirClient/clientCertificateFetch.js';
import { SourceConfigurationError } from '../../../shared/fhirClient/errors.js';
import { ENV } from '../../../shared/config/constants.js';
import { readEnv } from '../../../shared/config/envVar.js';
import { createSourceReader } from '../../../shared/runtime/createSourceReaderFromEnv.js';
import { SOURCE_FHIR_ENV } from '../../../shared/runtime/sourceFhirEnv.js';
import { generateTestCertificates, type TestCertificates } from '../../helpers/testCertificates.js';
import { json, startFakeHttpServer, type FakeHttpServer } from './fakeHttpServer.js';

const BASIC = `Basic ${Buffer.from('sync-user:sync-pass').toString('base64')}`;

describe('Client-certificate (mutual) TLS to the source server', () => {
  let certs: TestCertificates;
  let server: Server;
  let baseUrl: string;
  const seen: { path: string; clientName?: string; authorization?: string }[] = [];
  let ingest: FakeHttpServer;

  beforeAll(async () => {
    certs = generateTestCertificates();
    // An HTTPS source that refuses any connection without a client certificate from its CA.
    server = createServer(
      {
        key: certs.serverKey,
        cert: certs.serverCert,
        ca: certs.ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (request, response) => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        seen.push({
          path: request.url ?? '',
          clientName: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined,
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        });
        const path = (request.url ?? '').split('?')[0];
        if (path === '/fhir/Patient/p1')
          json(response, 200, { resourceType: 'Patient', id: 'p1', active: true });
        else if (path === '/fhir/Patient') {
          json(response, 200, {
            resourceType: 'Bundle',
            type: 'searchset',
            entry: [
              { resource: { resourceType: 'Patient', id: 'p1', active: true }, search: { mode: 'match' } },
            ],
          });
        } else json(response, 404, { resourceType: 'OperationOutcome', issue: [] });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/`;
    ingest = await startFakeHttpServer((_request, _body, response) => json(response, 201, {}));
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await ingest?.stop();
    certs?.remove();
  });

  /** The source reader as backfill, reconcile and the deliverer build it, from their environment. */
  const readerFromEnv = (tlsSecret?: string) =>
    createSourceReader(
      readEnv(
        SOURCE_FHIR_ENV,
        {
          [ENV.sourceFhirBaseUrl]: baseUrl,
          [ENV.sourceFhirAuth]: 'basic',
          [ENV.sourceFhirSecret]: JSON.stringify({ username: 'sync-user', password: 'sync-pass' }),
          ...(tlsSecret === undefined ? {} : { [ENV.sourceFhirTlsSecret]: tlsSecret }),
        },
        'backfill source',
      ),
      { getSecret: async () => '' },
      { retry: { maxAttempts: 1 } },
    );

  it('reads with the client certificate and key from the TLS secret, trusting its CA bundle', async () => {
    seen.splice(0);
    const reader = await readerFromEnv(
      JSON.stringify({ cert: certs.clientCert, key: certs.clientKey, ca: certs.ca }),
    );
    expect(await reader.read('Patient', 'p1')).toEqual({ resourceType: 'Patient', id: 'p1', active: true });
    const page = await reader.searchPage(reader.resolveSearchUrl('Patient?active=true'));
    expect(page.resources).toHaveLength(1);
    expect(seen.map((request) => [request.clientName, request.authorization])).toEqual([
      ['hlc-sync-client', BASIC],
      ['hlc-sync-client', BASIC],
    ]);
  });

  it('cannot connect without a client certificate, or with one from another CA', async () => {
    seen.splice(0);
    const withoutCert = await readerFromEnv(JSON.stringify({ ca: certs.ca }));
    await expect(withoutCert.read('Patient', 'p1')).rejects.toThrow(/after 1 attempts/);
    const stranger = await readerFromEnv(
      JSON.stringify({ cert: certs.strangerCert, key: certs.strangerKey, ca: certs.ca }),
    );
    await expect(stranger.read('Patient', 'p1')).rejects.toThrow(/after 1 attempts/);
    expect(seen).toEqual([]);
  });

  it('refuses a TLS secret that is not PEM, without echoing it', () => {
    const attempt = () => parseClientCertificateSecret(JSON.stringify({ cert: 'secret-bytes', key: 'k' }));
    expect(attempt).toThrow(SourceConfigurationError);
    expect(attempt).toThrow('"cert" is not PEM text');
    expect(() => parseClientCertificateSecret('secret-bytes')).not.toThrow(/secret-bytes/);
    expect(() => parseClientCertificateSecret(JSON.stringify({ cert: certs.clientCert }))).toThrow(
      'needs both "cert" and "key"',
    );
  });

  it("hlc sync logs in with --source-cert, --source-key, --source-ca and smileutil's --source-basic-auth", async () => {
    seen.splice(0);
    const out: string[] = [];
    const io: CliIo = { out: (line) => out.push(line), err: (line) => out.push(line), isTTY: false, env: {} };
    const code = await runCli(
      [
        'sync',
        '-s',
        `${baseUrl}Patient?active=true`,
        '-t',
        ingest.url,
        '--source-basic-auth',
        'sync-user:sync-pass',
        '--source-cert',
        certs.files.clientCert,
        '--source-key',
        certs.files.clientKey,
        '--source-ca',
        certs.files.ca,
      ],
      io,
    );
    expect(out.join('\n')).toContain('1 ok, 0 failed');
    expect(code).toBe(0);
    expect(seen).toEqual([
      { path: '/fhir/Patient?active=true&_count=100', clientName: 'hlc-sync-client', authorization: BASIC },
    ]);
    expect(ingest.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['PUT /Patient/p1']);
  });
});
