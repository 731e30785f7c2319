import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../../../local/standins/healthlake/sigv4Verifier.js';
import { HealthLakeTransientError } from '../../../shared/healthlake/errors.js';
import { HealthLakeClient, regionOfEndpoint } from '../../../shared/healthlake/HealthLakeClient.js';
import { notSupported } from '../../../shared/fhir/outcomes.js';

const credentials = { accessKeyId: 'ASIATEST', secretAccessKey: 'secret', sessionToken: 'token' };

interface Seen {
  method: string;
  path: string;
  body: string;
  signatureOk: boolean;
  /** The region of the signature's credential scope. */
  region?: string;
  host?: string;
  remotePort: number;
}

describe('Class: HealthLakeClient', () => {
  const seen: Seen[] = [];
  let answer: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) =>
    response.writeHead(200).end('{}');
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const body = Buffer.concat(chunks);
        const [path = '', rawQuery = ''] = (request.url ?? '').split('?');
        const verdict = await verifySigV4(
          { method: request.method ?? '', path, rawQuery, headers: request.headers, body },
          {
            lookup: (id) => (id === credentials.accessKeyId ? credentials : undefined),
            service: 'healthlake',
          },
        );
        seen.push({
          method: request.method ?? '',
          path,
          body: body.toString('utf8'),
          signatureOk: verdict.ok,
          ...(verdict.ok ? { region: verdict.region } : {}),
          ...(request.headers.host ? { host: request.headers.host } : {}),
          remotePort: request.socket.remotePort ?? 0,
        });
        answer(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/datastore/abc/r4/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (options: { responseTimeoutMs?: number } = {}) =>
    new HealthLakeClient({ endpoint, region: 'us-east-1', credentials: async () => credentials, ...options });

  it('PUTs the body to {endpoint}{Type}/{id} with a valid SigV4 signature for service healthlake', async () => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(201).end();
    const result = await client().put('Patient', 'p-1', '{"resourceType":"Patient","id":"p-1"}');
    expect(result.status).toBe(201);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      path: '/datastore/abc/r4/Patient/p-1',
      body: '{"resourceType":"Patient","id":"p-1"}',
      signatureOk: true,
    });
  });

  it('DELETEs with a valid signature', async () => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(204).end();
    const result = await client().delete('Observation', 'o.1');
    expect(result.status).toBe(204);
    expect(seen[0]).toMatchObject({
      method: 'DELETE',
      path: '/datastore/abc/r4/Observation/o.1',
      signatureOk: true,
    });
  });

  it('reuses one keep-alive connection for consecutive requests', async () => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(200).end();
    const one = client();
    for (let i = 0; i < 5; i += 1) await one.put('Patient', `p${i}`, '{}');
    one.destroy();
    expect(new Set(seen.map((s) => s.remotePort)).size).toBe(1);
  });

  it('parses the OperationOutcome, error type and Retry-After of an error answer', async () => {
    answer = (_request, response) =>
      response
        .writeHead(400, {
          'content-type': 'application/json',
          'x-amzn-ErrorType': 'ValidationException:http://x',
        })
        .end(JSON.stringify(notSupported('ResourceType Foo is not supported.')));
    const result = await client().put('Patient', 'p', '{}');
    expect(result.status).toBe(400);
    expect(result.outcome?.issue?.[0]?.code).toBe('not-supported');
    expect(result.errorType).toBe('ValidationException');
    answer = (_request, response) => response.writeHead(429, { 'retry-after': '7' }).end('slow down');
    const throttled = await client().put('Patient', 'p', '{}');
    expect(throttled).toMatchObject({ status: 429, retryAfterSeconds: 7 });
    expect(throttled.outcome).toBeUndefined();
  });

  it('throws a transient timeout error when no answer arrives in time', async () => {
    answer = () => undefined; // never answers
    const error = await client({ responseTimeoutMs: 200 })
      .put('Patient', 'p', '{}')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect((error as HealthLakeTransientError).reason).toBe('timeout');
  });

  it('cuts a request whose answer trickles in past its time limit, although the socket never idles', async () => {
    const timers: NodeJS.Timeout[] = [];
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      timers.push(setInterval(() => response.write(' '), 50));
    };
    const error = await client({ responseTimeoutMs: 1000 })
      .put('Patient', 'p', '{}', { timeoutMs: 300 })
      .catch((caught: unknown) => caught);
    for (const timer of timers) clearInterval(timer);
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect((error as HealthLakeTransientError).message).toMatch(/time limit/);
  });

  it('throws a transient connection error when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = new HealthLakeClient({
      endpoint: `http://127.0.0.1:${port}/r4/`,
      region: 'us-east-1',
      credentials: async () => credentials,
    });
    const error = await refused.delete('Patient', 'p').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect((error as HealthLakeTransientError).reason).toBe('connection');
  });

  it('signs each data store with the region of its host, whatever the configured region', async () => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(200).end();
    const port = (server.address() as AddressInfo).port;
    // HealthLake host names, resolved to the loopback server: no traffic leaves the machine.
    const agent = new Agent({
      lookup: (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]),
    } as ConstructorParameters<typeof Agent>[0]);
    const storeIn = (region: string) =>
      new HealthLakeClient({
        endpoint: `http://healthlake.${region}.amazonaws.com:${port}/datastore/0123/r4/`,
        region: 'us-east-1',
        credentials: async () => credentials,
        agent,
      });
    await storeIn('eu-west-2').put('Patient', 'p1', '{}');
    await storeIn('ap-southeast-2').delete('Patient', 'p1');
    agent.destroy();
    expect(seen.map(({ region, host, signatureOk }) => ({ region, host, signatureOk }))).toEqual([
      { region: 'eu-west-2', host: `healthlake.eu-west-2.amazonaws.com:${port}`, signatureOk: true },
      {
        region: 'ap-southeast-2',
        host: `healthlake.ap-southeast-2.amazonaws.com:${port}`,
        signatureOk: true,
      },
    ]);
  });

  it('signs a stand-in endpoint (no region in its host) with the configured region', async () => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(200).end();
    await new HealthLakeClient({
      endpoint,
      region: 'eu-central-1',
      credentials: async () => credentials,
    }).put('Patient', 'p1', '{}');
    expect(seen[0]?.region).toBe('eu-central-1');
  });

  it('reads the signing region from a HealthLake endpoint host', () => {
    expect(regionOfEndpoint('https://healthlake.eu-west-2.amazonaws.com/datastore/x/r4/')).toBe('eu-west-2');
    expect(regionOfEndpoint('http://127.0.0.1:1/r4/')).toBeUndefined();
  });
});
