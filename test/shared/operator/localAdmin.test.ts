import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLocalAdmin, fetchLocalJson, localAdminRequest } from '../../../shared/operator/localAdmin.js';

// The local admin endpoints as `hlc` reads them, against a small server whose answer each test sets.
let server: Server;
let base: string;
let answer: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) =>
  response.end();
const seen: { url?: string; authorization?: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const answering = (status: number, body: string) => {
  answer = (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  };
};

describe('localAdminRequest', () => {
  it('GETs the encoded path under /_local with the token, whatever the base URL’s trailing slashes', async () => {
    answering(200, '{"ok":true}');
    seen.length = 0;
    expect(await localAdminRequest(`${base}//`, ['healthlake', 'Patient/x y'], 'tok')).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(seen).toEqual([{ url: '/_local/healthlake/Patient%2Fx%20y', authorization: 'Bearer tok' }]);
    await localAdminRequest(base, ['stats']);
    expect(seen[1]).toEqual({ url: '/_local/stats', authorization: undefined });
  });

  it('returns a body that is not JSON as undefined, with its status', async () => {
    answering(500, 'oops');
    expect(await localAdminRequest(base, ['stats'])).toEqual({ status: 500, body: undefined });
  });

  it('refuses an answer past 8 MiB', async () => {
    answering(200, `"${'x'.repeat(8 * 1024 * 1024)}"`);
    await expect(localAdminRequest(base, ['stats'])).rejects.toThrow(
      'the answer of /_local/stats is larger than 8 MiB',
    );
  });
});

describe('fetchLocalAdmin', () => {
  const where = () => `local mode at ${base}`;

  it('returns the JSON of a 200', async () => {
    answering(200, '{"queues":1}');
    expect(await fetchLocalAdmin(`${base}/`, 'stats', 'tok')).toEqual({ value: { queues: 1 } });
    expect(await fetchLocalJson(base, 'stats', 'tok')).toEqual({ queues: 1 });
  });

  it('says what each refusal means and what to do, never quoting the answer', async () => {
    const cases: [number, string | undefined, string][] = [
      [200, 'tok', `${where()} answered /_local/config with something other than JSON`],
      [
        401,
        'tok',
        `${where()} answered 401: the token was not accepted; set --token or HLC_TOKEN to the development token npm start printed`,
      ],
      [
        401,
        undefined,
        `${where()} answered 401: no token was given; set --token or HLC_TOKEN to the development token npm start printed`,
      ],
      [
        403,
        'tok',
        `${where()} answered 403: the token has the write scope; /_local/* needs the admin (development) token npm start printed`,
      ],
      [
        404,
        'tok',
        `${base} is not local mode (no /_local/config); for a deployed stack pass --stack HealthLakeConnector-{connectorId}`,
      ],
      [502, 'tok', `${where()} answered HTTP 502 to /_local/config`],
    ];
    for (const [status, token, problem] of cases) {
      answering(status, status === 200 ? 'not json' : '{"secret":"do not show"}');
      expect(await fetchLocalAdmin(base, 'config', token)).toEqual({ problem });
    }
    answering(403, '{}');
    expect(await fetchLocalJson(base, 'config', 'tok')).toBeUndefined();
  });

  it('names the origin when nothing listens there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await fetchLocalAdmin(`http://127.0.0.1:${port}`, 'stats')).toEqual({
      problem: `http://127.0.0.1:${port}: connection refused (nothing listens there)`,
    });
  });
});
