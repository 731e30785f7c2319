import { describe, expect, it } from 'vitest';
import type { FhirRequest } from '../../../shared/http/types.js';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import { createIngestHttp } from '../../../shared/ingest/handleIngestHttp.js';
import type { RawIngestRequest } from '../../../shared/ingest/handleIngestHttp.js';

const setup = () => {
  const routed: FhirRequest[] = [];
  let rejected = 0;
  const http = createIngestHttp({
    route: async (request) => (routed.push(request), { status: 200 }),
    authenticator: createAuthenticator({
      modes: ['bearer'],
      tokens: async () => [{ sha256: hashToken('t'), scope: 'admin' }],
    }),
    maxBodyBytes: 100,
    onRejected: () => (rejected += 1),
  });
  const raw = (overrides: Partial<RawIngestRequest> = {}): RawIngestRequest => ({
    method: 'PUT',
    path: '/Patient/1',
    query: {},
    headers: { authorization: 'Bearer t', 'content-type': 'application/fhir+json; charset=utf-8' },
    body: '{"resourceType":"Patient","id":"1"}',
    baseUrl: 'https://x/fhir/',
    ...overrides,
  });
  return { http, routed, raw, rejected: () => rejected };
};

describe('Function: createIngestHttp', () => {
  it('parses the body and hands a normalised FhirRequest to the router', async () => {
    const { http, routed, raw } = setup();
    expect((await http(raw())).status).toBe(200);
    expect(routed[0]).toMatchObject({
      method: 'PUT',
      path: 'Patient/1',
      baseUrl: 'https://x/fhir',
      body: { resourceType: 'Patient' },
    });
  });

  it.each([
    ['no token', { headers: { 'content-type': 'application/fhir+json' } }, 401],
    [
      'a body over the limit',
      { body: JSON.stringify({ resourceType: 'Patient', text: 'x'.repeat(200) }) },
      413,
    ],
    [
      'a non-JSON content type',
      { headers: { authorization: 'Bearer t', 'content-type': 'text/plain' } },
      415,
    ],
    ['malformed JSON', { body: '{"resourceType":' }, 400],
    ['an unknown HTTP method', { method: 'TRACE' }, 405],
  ])('refuses %s before routing', async (_name, overrides, status) => {
    const { http, routed, raw, rejected } = setup();
    const response = await http(raw(overrides as Partial<RawIngestRequest>));
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ resourceType: 'OperationOutcome' });
    expect(routed).toHaveLength(0);
    expect(rejected()).toBe(1);
  });

  it('names the body limit in the 413 outcome', async () => {
    const { http, raw } = setup();
    const response = await http(raw({ body: 'x'.repeat(101) }));
    expect(JSON.stringify(response.body)).toContain(
      'at most 100 bytes (configuration key ingest.maxRequestBytes)',
    );
  });
});
