import { describe, expect, it } from 'vitest';
import { SourceConfigurationError } from '../../../shared/fhirClient/errors.js';
import { createSourceAuth, parseSourceAuthKind } from '../../../shared/fhirClient/createSourceAuth.js';
import { createSourceReaderFromEnv } from '../../../shared/runtime/createSourceReaderFromEnv.js';

const url = new URL('https://source.test/fhir/Patient?_count=10&name=a%20b');
const secrets = (values: Record<string, string>) => ({
  getSecret: async (id: string) => {
    const value = values[id];
    if (value === undefined) throw new Error('no such secret');
    return value;
  },
});

describe('createSourceAuth', () => {
  it('adds no header for auth none', async () => {
    const auth = await createSourceAuth({ kind: 'none' }, secrets({}));
    expect(await auth.headers({ method: 'GET', url })).toEqual({});
  });

  it('reads a bearer token from the secret (JSON or bare string)', async () => {
    const json = await createSourceAuth({ kind: 'bearer', secretId: 'a' }, secrets({ a: '{"token":"t1"}' }));
    const bare = await createSourceAuth({ kind: 'bearer', secretId: 'b' }, secrets({ b: 't2' }));
    expect(await json.headers({ method: 'GET', url })).toEqual({ authorization: 'Bearer t1' });
    expect(await bare.headers({ method: 'GET', url })).toEqual({ authorization: 'Bearer t2' });
  });

  it('builds basic auth from username and password', async () => {
    const auth = await createSourceAuth(
      { kind: 'basic', secretId: 's' },
      secrets({ s: '{"username":"u","password":"p:w"}' }),
    );
    expect(await auth.headers({ method: 'GET', url })).toEqual({
      authorization: `Basic ${Buffer.from('u:p:w').toString('base64')}`,
    });
  });

  it('signs with SigV4 for the configured service and region', async () => {
    const auth = await createSourceAuth(
      { kind: 'sigv4', region: 'eu-west-1', service: 'healthlake' },
      {
        ...secrets({}),
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'session' },
      },
    );
    const headers = await auth.headers({ method: 'GET', url });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/healthlake\/aws4_request/,
    );
    expect(headers['x-amz-security-token']).toBe('session');
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('names the missing field of a secret without echoing the secret', async () => {
    const error = await createSourceAuth(
      { kind: 'basic', secretId: 's' },
      secrets({ s: '{"username":"hunter2"}' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceConfigurationError);
    expect((error as Error).message).toMatch(/password/);
    expect((error as Error).message).not.toMatch(/hunter2/);
  });

  it('requires a secret id for credentialed kinds and rejects unknown kinds', async () => {
    await expect(createSourceAuth({ kind: 'oauth2' }, secrets({}))).rejects.toThrow(/secret id/);
    expect(() => parseSourceAuthKind('kerberos')).toThrow(SourceConfigurationError);
    expect(parseSourceAuthKind(undefined)).toBe('none');
    expect(parseSourceAuthKind('OAuth2')).toBe('oauth2');
  });

  it('signs a SigV4 source with the configured region, never the function region', async () => {
    const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
    const env = {
      SOURCE_FHIR_BASE_URL: 'https://healthlake.eu-west-2.amazonaws.com/datastore/x/r4/',
      SOURCE_FHIR_AUTH: 'sigv4',
      AWS_REGION: 'us-east-1',
    };
    await expect(createSourceReaderFromEnv({ ...secrets({}), credentials }, env)).rejects.toThrow(
      /SOURCE_FHIR_REGION/,
    );
    const reader = await createSourceReaderFromEnv(
      { ...secrets({}), credentials },
      { ...env, SOURCE_FHIR_REGION: 'eu-west-2' },
    );
    expect(reader).toBeDefined();
  });

  it('builds the source client from the environment', async () => {
    const reader = await createSourceReaderFromEnv(secrets({}), {
      SOURCE_FHIR_BASE_URL: 'https://source.test/fhir',
      SOURCE_FHIR_AUTH: 'none',
      SOURCE_FHIR_PAGE_SIZE: '250',
    });
    expect(reader.resolveSearchUrl('Patient?active=true')).toBe(
      'https://source.test/fhir/Patient?active=true&_count=250',
    );
  });
});
