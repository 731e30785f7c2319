import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHealthLakeReader } from '../../../shared/healthlake/createHealthLakeReader.js';

const credentials = async () => ({
  accessKeyId: 'ASIATEST',
  secretAccessKey: 'secret',
  sessionToken: 'token',
});
const ENDPOINT = 'https://healthlake.eu-west-2.amazonaws.com/datastore/0123/r4/';

/** A fetch that answers a Patient and records what it was asked, so nothing leaves the process. */
const recordingFetch = () => {
  const calls: Array<{ url: string; headers: Headers }> = [];
  const fetch = (async (url: URL | string, init?: RequestInit) => {
    calls.push({ url: String(url), headers: new Headers(init?.headers) });
    return new Response(JSON.stringify({ resourceType: 'Patient', id: 'p1' }), {
      status: 200,
      headers: { 'content-type': 'application/fhir+json' },
    });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
};

describe('Function: createHealthLakeReader', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reads from the data store with SigV4 for healthlake in the region of its host, through the given fetch', async () => {
    // The global fetch must never be used: it would leave the machine.
    vi.stubGlobal('fetch', () => Promise.reject(new Error('global fetch used')));
    const { calls, fetch } = recordingFetch();
    const reader = createHealthLakeReader({ endpoint: ENDPOINT, credentials, requestsPerSecond: 0, fetch });
    expect(await reader.read('Patient', 'p1')).toEqual({ resourceType: 'Patient', id: 'p1' });
    expect(calls.map((call) => call.url)).toEqual([`${ENDPOINT}Patient/p1`]);
    expect(calls[0]?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIATEST\/\d{8}\/eu-west-2\/healthlake\/aws4_request, /,
    );
    expect(calls[0]?.headers.get('x-amz-security-token')).toBe('token');
  });

  it('signs with the configured region when one is given', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new Error('global fetch used')));
    const { calls, fetch } = recordingFetch();
    const reader = createHealthLakeReader({
      endpoint: ENDPOINT,
      region: 'us-west-2',
      credentials,
      requestsPerSecond: 0,
      fetch,
    });
    await reader.read('Patient', 'p1');
    expect(calls[0]?.headers.get('authorization')).toContain('/us-west-2/healthlake/aws4_request');
  });

  it('refuses an endpoint whose host names no region when none is configured', () => {
    expect(() =>
      createHealthLakeReader({ endpoint: 'http://127.0.0.1:1/r4/', credentials, requestsPerSecond: 0 }),
    ).toThrow('No signing region given and none in the HealthLake endpoint host');
  });
});
