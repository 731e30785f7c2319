import { describe, expect, it } from 'vitest';
import { parseSyncSource } from '../../../shared/operator/syncSource.js';
import { syncSourceClientOptions } from '../../../shared/operator/syncSourceClient.js';

const request = { method: 'GET', url: new URL('https://src.test/fhir/Patient') };

describe('Function: parseSyncSource', () => {
  it('reads a server base URL, without its fragment', () => {
    expect(parseSyncSource(['https://src.test/fhir/#x'])).toEqual({
      kind: 'server',
      baseUrl: 'https://src.test/fhir/',
    });
    expect(parseSyncSource(['HTTP://src.test/fhir'])).toEqual({
      kind: 'server',
      baseUrl: 'http://src.test/fhir',
    });
  });

  it('splits a search URL into the base and Type?params', () => {
    expect(parseSyncSource(['https://src.test/fhir/Patient?name=x&_count=5'])).toEqual({
      kind: 'server',
      baseUrl: 'https://src.test/fhir/',
      search: 'Patient?name=x&_count=5',
    });
    expect(parseSyncSource(['https://src.test/fhir/Observation/'])).toEqual({
      kind: 'server',
      baseUrl: 'https://src.test/fhir/',
      search: 'Observation?',
    });
    // The last Patient segment is the type, not an earlier one.
    expect(parseSyncSource(['https://src.test/Patient/fhir/Patient'])).toMatchObject({
      baseUrl: 'https://src.test/Patient/fhir/',
      search: 'Patient?',
    });
  });

  it('refuses a search without a type, credentials in the URL, and an unparsable URL', () => {
    expect(() => parseSyncSource(['https://src.test/fhir?name=x'])).toThrow(
      'a search URL source must name a resource type (…/fhir/Patient?name=x)',
    );
    expect(() => parseSyncSource(['https://user:pw@src.test/fhir'])).toThrow(/holds credentials/);
    expect(() => parseSyncSource(['https://user@src.test/fhir'])).toThrow(/holds credentials/);
    expect(() => parseSyncSource(['https://:pw@src.test/fhir'])).toThrow(/holds credentials/);
    expect(() => parseSyncSource(['http://[bad'])).toThrow('the source is not a valid URL');
  });

  it('reads files and folders, file: URLs included, and refuses mixing them with a server', () => {
    expect(parseSyncSource(['data/a.json', 'file:rel/dir', 'file:///tmp/x%20y.ndjson', 'c:stuff'])).toEqual({
      kind: 'files',
      paths: ['data/a.json', 'rel/dir', '/tmp/x y.ndjson', 'c:stuff'],
    });
    expect(parseSyncSource(['file:a%20b'])).toEqual({ kind: 'files', paths: ['a b'] });
    expect(() => parseSyncSource(['file://host/x'])).toThrow('a file: source is not a valid file URL');
    expect(() => parseSyncSource(['https://src.test/fhir', 'data/a.json'])).toThrow(
      'sync reads one server URL, or files and folders, not both',
    );
    expect(() => parseSyncSource(['ftp://src.test/x'])).toThrow(
      'a sync source is an http(s):// URL, a file: URL, a file or a folder',
    );
  });
});

describe('Function: syncSourceClientOptions', () => {
  it('infers the auth from the flags given: bearer, basic, none', async () => {
    const bearer = await syncSourceClientOptions({ bearerToken: 't0k' }, {});
    expect(await bearer.auth?.headers(request)).toEqual({ authorization: 'Bearer t0k' });
    const basic = await syncSourceClientOptions({ basicAuth: 'user:pa:ss' }, {});
    expect(await basic.auth?.headers(request)).toEqual({
      authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    });
    const none = await syncSourceClientOptions({}, {});
    expect(await none.auth?.headers(request)).toEqual({});
    expect(none).toEqual({ auth: none.auth });
  });

  it('refuses basic auth without a user name, and SigV4 without a region', async () => {
    await expect(syncSourceClientOptions({ basicAuth: ':pw' }, {})).rejects.toThrow(
      '--source-basic-auth must be username:password',
    );
    await expect(syncSourceClientOptions({ basicAuth: 'nopassword' }, {})).rejects.toThrow(
      /username:password/,
    );
    await expect(syncSourceClientOptions({ auth: 'sigv4' }, {})).rejects.toThrow(
      'SigV4 source auth needs --source-region',
    );
  });

  it('takes a secret JSON over the flags, adds the request id, and passes the client limits', async () => {
    const options = await syncSourceClientOptions(
      {
        auth: 'bearer',
        bearerToken: 'ignored',
        secretJson: '{"token":"from-secret"}',
        requestId: 'req-9',
        maxResponseBytes: 1024,
        pageSize: 50,
        requestsPerSecond: 0,
      },
      {},
    );
    expect(await options.auth?.headers(request)).toEqual({
      'x-request-id': 'req-9',
      authorization: 'Bearer from-secret',
    });
    expect(options).toMatchObject({ maxResponseBytes: 1024, pageSize: 50, requestsPerSecond: 0 });
    expect(options).not.toHaveProperty('fetch');
  });

  it('signs with SigV4 for the service asked (healthlake by default) using the credentials given', async () => {
    const credentials = () => async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    const signed = await syncSourceClientOptions(
      { auth: 'sigv4', sigv4: { region: 'us-west-2' } },
      { credentials },
    );
    const headers = await signed.auth?.headers(request);
    expect(headers?.authorization).toMatch(
      /Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/healthlake\/aws4_request/,
    );
    const other = await syncSourceClientOptions(
      { auth: 'sigv4', sigv4: { region: 'us-west-2', service: 'execute-api' } },
      { credentials },
    );
    expect((await other.auth?.headers(request))?.authorization).toMatch(
      /\/us-west-2\/execute-api\/aws4_request/,
    );
  });
});
