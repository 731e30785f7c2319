import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import {
  parseTokenHashes,
  powertoolsTokenSource,
} from '../../../shared/ingest/auth/powertoolsTokenSource.js';

const TOKEN = 'a-very-secret-token';

describe('Function: createAuthenticator', () => {
  const bearer = createAuthenticator({
    modes: ['bearer'],
    tokenHashes: async () => [hashToken('other'), hashToken(TOKEN)],
  });

  it('accepts a bearer token whose sha256 is in the list', async () => {
    const result = await bearer.authenticate({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(result).toEqual({ ok: true, principal: `token:${hashToken(TOKEN).slice(0, 8)}`, mode: 'bearer' });
  });

  it('answers 401 with a challenge for a missing, malformed or unknown token', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer nope' }] as Record<
      string,
      string
    >[]) {
      const result = await bearer.authenticate({ headers });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.outcome.issue?.[0]?.code).toBe('login');
      expect(result.outcome.id).toBe('401');
      expect(result.challenge).toMatch(/^Bearer realm="fhir"/);
    }
  });

  it('trusts the caller identity API Gateway IAM authorization verified', async () => {
    const iam = createAuthenticator({ modes: ['iam'] });
    const result = await iam.authenticate({
      headers: {},
      identity: { userArn: 'arn:aws:iam::1:role/producer', caller: 'AROA' },
    });
    expect(result).toMatchObject({ ok: true, mode: 'iam', principal: 'arn:aws:iam::1:role/producer' });
    const anonymous = await iam.authenticate({ headers: {}, identity: { userArn: null, caller: null } });
    expect(anonymous).toMatchObject({ ok: false, outcome: { id: '403' } });
    const token = await iam.authenticate({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(token).toMatchObject({ ok: false, outcome: { id: '403' } });
  });

  it('refuses to build bearer mode without a token source', () => {
    expect(() => createAuthenticator({ modes: ['bearer'] })).toThrow(/token hash source/);
  });
});

describe('Function: powertoolsTokenSource', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it('reads the hash list from Secrets Manager and caches it for maxAge', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify([hashToken(TOKEN), { sha256: hashToken('b') }, 'junk']) });
    const source = powertoolsTokenSource({
      store: 'secretsmanager',
      name: 'ingest-tokens',
      maxAgeSeconds: 60,
      secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    expect(await source()).toEqual([hashToken(TOKEN), hashToken('b')]);
    await source();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('ignores values that are not lists of sha256 hashes', () => {
    expect(parseTokenHashes({ token: 'x' })).toEqual([]);
    expect(parseTokenHashes(['ABCDEF', hashToken('x').toUpperCase()])).toEqual([hashToken('x')]);
  });
});
