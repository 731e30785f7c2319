import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialsError, HealthLakeTransientError } from '../../../shared/healthlake/errors.js';
import { HealthLakeClient, regionOfEndpoint } from '../../../shared/healthlake/HealthLakeClient.js';
import { notSupported } from '../../../shared/fhir/outcomes.js';

// What the client puts on the wire and reads back, against a loopback server: headers, paths,
// error bodies, timers and sockets. Signatures are checked in HealthLakeClient.test.ts.

const credentials = { accessKeyId: 'ASIATEST', secretAccessKey: 'secret', sessionToken: 'token' };

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Timers alive in this process: the client must leave none behind once a request has settled. */
const LIMIT_MS = 60_000;

/** The 60 s timers set in this process and not yet cleared (or fired): a request's time limit. */
const pendingLimits = new Set<unknown>();
const watchTimers = () => {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
    const handle = realSet(() => {
      pendingLimits.delete(handle);
      callback();
    }, ms);
    if (ms === LIMIT_MS) pendingLimits.add(handle);
    return handle;
  }) as unknown as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: NodeJS.Timeout) => {
    pendingLimits.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout);
};

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('Class: HealthLakeClient (on the wire)', () => {
  const seen: Seen[] = [];
  const serverSockets = new Set<Socket>();
  let answer: (request: IncomingMessage, response: ServerResponse) => void;
  let server: Server;
  let port: number;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        answer(request, response);
      });
    });
    server.keepAliveTimeout = 0;
    server.on('connection', (socket: Socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    endpoint = `http://127.0.0.1:${port}/datastore/abc/r4/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    pendingLimits.clear();
  });

  beforeEach(() => {
    seen.length = 0;
    answer = (_request, response) => response.writeHead(200).end();
  });

  const client = (options: Partial<ConstructorParameters<typeof HealthLakeClient>[0]> = {}) =>
    new HealthLakeClient({ endpoint, region: 'us-east-1', credentials: async () => credentials, ...options });

  it('sends a resource as FHIR JSON with its length, and asks for FHIR JSON back', async () => {
    const writer = client();
    const body = '{"resourceType":"Patient","id":"p-1","name":[{"text":"Zoë"}]}';
    await writer.put('Patient', 'p-1', body);
    await writer.delete('Patient', 'p-1');
    writer.destroy();
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/datastore/abc/r4/Patient/p-1', body });
    expect(seen[0]?.headers).toMatchObject({
      accept: 'application/fhir+json',
      'content-type': 'application/fhir+json',
      'content-length': String(Buffer.byteLength(body)),
      host: `127.0.0.1:${port}`,
    });
    expect(seen[1]).toMatchObject({ method: 'DELETE', url: '/datastore/abc/r4/Patient/p-1', body: '' });
    expect(seen[1]?.headers.accept).toBe('application/fhir+json');
    expect(seen[1]?.headers).not.toHaveProperty('content-type');
  });

  it('POSTs a transaction Bundle to the data store base', async () => {
    const writer = client();
    const before = performance.now();
    const result = await writer.transaction('{"resourceType":"Bundle","type":"transaction"}', {
      timeoutMs: 5_000,
    });
    const elapsed = performance.now() - before;
    writer.destroy();
    expect(result.status).toBe(200);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThanOrEqual(elapsed);
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/datastore/abc/r4/',
        body: '{"resourceType":"Bundle","type":"transaction"}',
      }),
    ]);
  });

  it('adds the missing slash to an endpoint without one', async () => {
    const writer = client({ endpoint: `http://127.0.0.1:${port}/datastore/abc/r4` });
    await writer.put('Patient', 'p1', '{}');
    writer.destroy();
    expect(seen[0]?.url).toBe('/datastore/abc/r4/Patient/p1');
  });

  it('refuses an endpoint whose host names no region when none is configured', () => {
    expect(() => new HealthLakeClient({ endpoint, credentials: async () => credentials })).toThrow(
      `No signing region given and none in the endpoint host 127.0.0.1:${port}`,
    );
  });

  it('reads the region only from a HealthLake host name, FIPS included', () => {
    expect(regionOfEndpoint('https://healthlake-fips.us-east-1.amazonaws.com/datastore/x/r4/')).toBe(
      'us-east-1',
    );
    expect(regionOfEndpoint('https://my-healthlake.eu-west-1.amazonaws.com/datastore/x/r4/')).toBeUndefined();
  });

  it('speaks TLS to an https endpoint', async () => {
    const writer = client({ endpoint: `https://127.0.0.1:${port}/datastore/abc/r4/` });
    const error = await rejection(writer.put('Patient', 'p1', '{}'));
    writer.destroy();
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect(seen).toEqual([]);
  });

  it('answers a success by its status only, whatever its body or headers say', async () => {
    answer = (_request, response) =>
      response
        .writeHead(201, { 'retry-after': '3', 'x-amzn-errortype': 'Nothing' })
        .end(JSON.stringify(notSupported('not an error')));
    const writer = client();
    const result = await writer.put('Patient', 'p1', '{}');
    writer.destroy();
    expect(Object.keys(result).sort()).toEqual(['latencyMs', 'status']);
    expect(result.status).toBe(201);
  });

  it('keeps an error body only when it is an OperationOutcome of at most 64 KiB', async () => {
    const outcomeOfSize = (bytes: number) => {
      const base = JSON.stringify({ ...notSupported('x'), padding: '' });
      return JSON.stringify({ ...notSupported('x'), padding: 'p'.repeat(bytes - base.length) });
    };
    const writer = client();
    const send = async (body: string) => {
      answer = (_request, response) => response.writeHead(400).end(body);
      return writer.put('Patient', 'p1', '{}');
    };
    expect((await send(outcomeOfSize(65_536))).outcome?.issue?.[0]?.code).toBe('not-supported');
    expect((await send(outcomeOfSize(65_537))).outcome).toBeUndefined();
    expect((await send('{"message":"Internal error"}')).outcome).toBeUndefined();
    expect((await send('null')).outcome).toBeUndefined();
    expect((await send('<html>bad gateway</html>')).outcome).toBeUndefined();
    writer.destroy();
  });

  it('reads a Retry-After of whole non-negative seconds only', async () => {
    const writer = client();
    const retryAfter = async (value?: string) => {
      answer = (_request, response) =>
        response.writeHead(429, value === undefined ? {} : { 'retry-after': value }).end();
      return (await writer.put('Patient', 'p1', '{}')).retryAfterSeconds;
    };
    expect(await retryAfter('0')).toBe(0);
    expect(await retryAfter('12')).toBe(12);
    expect(await retryAfter('-1')).toBeUndefined();
    expect(await retryAfter('soon')).toBeUndefined();
    expect(await retryAfter()).toBeUndefined();
    writer.destroy();
  });

  it('leaves no timer behind after an answer, an error answer or a refused connection', async () => {
    const writer = client();
    watchTimers();
    await writer.put('Patient', 'p1', '{}', { timeoutMs: LIMIT_MS });
    expect(pendingLimits.size).toBe(0);
    answer = (_request, response) => response.writeHead(500).end('{}');
    await writer.put('Patient', 'p1', '{}', { timeoutMs: LIMIT_MS });
    expect(pendingLimits.size).toBe(0);
    writer.destroy();

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = client({ endpoint: `http://127.0.0.1:${closedPort}/r4/` });
    const error = await rejection(refused.delete('Patient', 'p1', { timeoutMs: LIMIT_MS }));
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect(error).toMatchObject({
      reason: 'connection',
      message: expect.stringMatching(/^DELETE Patient: /),
    });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(pendingLimits.size).toBe(0);
  });

  it('closes the connection and clears its time limit when no answer comes in time', async () => {
    answer = () => undefined;
    const writer = client({ responseTimeoutMs: 100 });
    watchTimers();
    const error = await rejection(writer.put('Patient', 'p1', '{}', { timeoutMs: LIMIT_MS }));
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'PUT Patient: no answer in time' });
    expect(pendingLimits.size).toBe(0);
    // The server sees the abandoned connection close.
    await expect.poll(() => serverSockets.size, { timeout: 5_000 }).toBe(0);
    writer.destroy();
  });

  it('names a transaction Bundle in its errors, with or without a time limit', async () => {
    answer = () => undefined;
    const writer = client({ responseTimeoutMs: 100 });
    expect(await rejection(writer.transaction('{}'))).toMatchObject({
      message: 'POST Bundle: no answer in time',
    });
    expect(await rejection(writer.transaction('{}', { timeoutMs: 50 }))).toMatchObject({
      message: 'POST Bundle: time limit reached',
    });
    writer.destroy();
  });

  it('names the time limit when the whole request outlasts it', async () => {
    answer = () => undefined;
    const writer = client({ responseTimeoutMs: 2_000 });
    const error = await rejection(writer.delete('Observation', 'o1', { timeoutMs: 100 }));
    writer.destroy();
    expect(error).toMatchObject({ reason: 'timeout', message: 'DELETE Observation: time limit reached' });
  });

  it('times out a connection that never completes, with its own message', async () => {
    // A socket that stays connecting forever: no traffic leaves the process.
    const agent = new Agent();
    const sockets: Socket[] = [];
    (agent as unknown as { createConnection: () => Socket }).createConnection = () => {
      const socket = new Socket();
      (socket as { connecting: boolean }).connecting = true;
      sockets.push(socket);
      return socket;
    };
    const writer = client({ agent, connectTimeoutMs: 50, responseTimeoutMs: 2_000 });
    const error = await rejection(writer.put('Patient', 'p1', '{}'));
    for (const socket of sockets) socket.destroy();
    expect(error).toBeInstanceOf(HealthLakeTransientError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'PUT Patient: connect timed out' });
  });

  it('lets an answer take longer than the connect timeout, on a new and on a reused connection', async () => {
    answer = (_request, response) => setTimeout(() => response.writeHead(200).end(), 200);
    const writer = client({ connectTimeoutMs: 50 });
    expect((await writer.put('Patient', 'p1', '{}')).status).toBe(200);
    expect((await writer.put('Patient', 'p2', '{}')).status).toBe(200);
    writer.destroy();
  });

  it('closes its keep-alive connections when destroyed', async () => {
    const writer = client();
    await writer.put('Patient', 'p1', '{}');
    expect(serverSockets.size).toBe(1);
    writer.destroy();
    await expect.poll(() => serverSockets.size, { timeout: 5_000 }).toBe(0);
  });

  it('opens at most 50 connections per data store by default', async () => {
    const pending: ServerResponse[] = [];
    let released = false;
    answer = (_request, response) => {
      if (released) return void response.writeHead(200).end();
      pending.push(response);
      if (pending.length < 50) return;
      released = true;
      setTimeout(() => pending.splice(0).forEach((held) => held.writeHead(200).end()), 100);
    };
    const writer = client();
    const results = await Promise.all(
      Array.from({ length: 51 }, (_, index) => writer.put('Patient', `p${index}`, '{}')),
    );
    const opened = serverSockets.size;
    writer.destroy();
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(opened).toBe(50);
  });

  it('says which request could not be signed when credentials cannot be had', async () => {
    const writer = client({
      credentials: async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
      },
    });
    const error = await rejection(writer.put('Patient', 'p1', '{}'));
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ message: 'PUT Patient: no credentials to sign with', accessDenied: true });
    expect(seen).toEqual([]);
  });
});
