import { generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentSourceError } from '../../../shared/fhirClient/errors.js';
import { oauth2ClientCredentials } from '../../../shared/fhirClient/oauth2ClientCredentials.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import type { FakeHttpServer } from './fakeHttpServer.js';
import { json, startFakeHttpServer } from './fakeHttpServer.js';

const url = new URL('http://source.test/fhir/Patient/1');

describe('oauth2ClientCredentials', () => {
  let server: FakeHttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const tokenServer = async (lifetimeSeconds = 300) => {
    let issued = 0;
    server = await startFakeHttpServer((_req, _body, res) => {
      issued += 1;
      json(res, 200, { access_token: `token-${issued}`, token_type: 'bearer', expires_in: lifetimeSeconds });
    });
    return server;
  };

  it('sends a client_credentials grant with client_secret_basic and caches the token until it expires', async () => {
    const tokens = await tokenServer(300);
    let now = 1_000_000;
    const auth = oauth2ClientCredentials({
      tokenUrl: `${tokens.url}/token`,
      clientId: 'connector',
      clientSecret: 's3cret',
      scope: 'system/*.read',
      now: () => now,
    });
    const first = await Promise.all([
      auth.headers({ method: 'GET', url }),
      auth.headers({ method: 'GET', url }),
    ]);
    expect(first).toEqual([{ authorization: 'Bearer token-1' }, { authorization: 'Bearer token-1' }]);
    now += 200_000;
    expect(await auth.headers({ method: 'GET', url })).toEqual({ authorization: 'Bearer token-1' });
    now += 50_000; // within the 60 s refresh skew of expiry
    expect(await auth.headers({ method: 'GET', url })).toEqual({ authorization: 'Bearer token-2' });
    expect(auth.tokenRequests()).toBe(2);
    const request = tokens.requests[0];
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from('connector:s3cret').toString('base64')}`,
    );
    const form = new URLSearchParams(request?.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('system/*.read');
    expect(form.has('client_secret')).toBe(false);
  });

  it('signs a private_key_jwt client assertion (SMART Backend Services)', async () => {
    const tokens = await tokenServer();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const auth = oauth2ClientCredentials({
      tokenUrl: `${tokens.url}/token`,
      clientId: 'connector',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyId: 'key-1',
      algorithm: 'ES384',
    });
    await auth.headers({ method: 'GET', url });
    const form = new URLSearchParams(tokens.requests[0]?.body);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const [header, claims, signature] = (form.get('client_assertion') ?? '').split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'ES384',
      typ: 'JWT',
      kid: 'key-1',
    });
    expect(JSON.parse(Buffer.from(claims ?? '', 'base64url').toString())).toMatchObject({
      iss: 'connector',
      sub: 'connector',
      aud: `${tokens.url}/token`,
    });
    const valid = verify(
      'sha384',
      Buffer.from(`${header}.${claims}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature ?? '', 'base64url'),
    );
    expect(valid).toBe(true);
    expect(tokens.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('signs RS384 assertions by default for an RSA key', async () => {
    const tokens = await tokenServer();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const auth = oauth2ClientCredentials({
      tokenUrl: `${tokens.url}/token`,
      clientId: 'connector',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await auth.headers({ method: 'GET', url });
    const [header, claims, signature] = (
      new URLSearchParams(tokens.requests[0]?.body).get('client_assertion') ?? ''
    ).split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'RS384' });
    expect(
      verify(
        'sha384',
        Buffer.from(`${header}.${claims}`),
        publicKey,
        Buffer.from(signature ?? '', 'base64url'),
      ),
    ).toBe(true);
  });

  it('reports refused client credentials as permanent', async () => {
    server = await startFakeHttpServer((_req, _body, res) => json(res, 401, { error: 'invalid_client' }));
    const auth = oauth2ClientCredentials({
      tokenUrl: `${server.url}/token`,
      clientId: 'c',
      clientSecret: 'bad',
    });
    await expect(auth.headers({ method: 'GET', url })).rejects.toBeInstanceOf(PermanentSourceError);
  });

  it('fetches a new token once when the source refuses the cached one', async () => {
    let issued = 0;
    server = await startFakeHttpServer((req, _body, res) => {
      if (req.url === '/token') {
        issued += 1;
        json(res, 200, { access_token: `token-${issued}`, expires_in: 3600 });
      } else if (req.headers.authorization === 'Bearer token-1') {
        json(res, 401, { resourceType: 'OperationOutcome' });
      } else {
        json(res, 200, { resourceType: 'Patient', id: 'a' });
      }
    });
    const auth = oauth2ClientCredentials({
      tokenUrl: `${server.url}/token`,
      clientId: 'c',
      clientSecret: 's',
    });
    const reader = new FhirClient({ baseUrl: `${server.url}/fhir`, auth, retry: { maxAttempts: 1 } });
    expect((await reader.read('Patient', 'a'))?.id).toBe('a');
    expect(auth.tokenRequests()).toBe(2);
  });
});
