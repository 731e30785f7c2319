import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import { isAdminPrincipal } from '../../../shared/ingest/auth/isAdminPrincipal.js';
import { parseTokenList } from '../../../shared/ingest/auth/parseTokenList.js';
import { powertoolsTokenSource } from '../../../shared/ingest/auth/powertoolsTokenSource.js';

const TOKEN = 'a-very-secret-token';

describe('Function: createAuthenticator', () => {
  const bearer = createAuthenticator({
    modes: ['bearer'],
    tokens: async () => [
      { sha256: hashToken('other'), scope: 'admin', name: 'ops' },
      { sha256: hashToken(TOKEN), scope: 'write' },
    ],
  });

  it('accepts a bearer token whose sha256 is in the list, with the scope of its entry', async () => {
    const result = await bearer.authenticate({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(result).toEqual({
      ok: true,
      principal: `token:${hashToken(TOKEN).slice(0, 8)}`,
      mode: 'bearer',
      scope: 'write',
    });
    const admin = await bearer.authenticate({ headers: { authorization: 'Bearer other' } });
    expect(admin).toMatchObject({ ok: true, principal: 'token:ops', scope: 'admin' });
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
    expect(result).toMatchObject({
      ok: true,
      mode: 'iam',
      principal: 'arn:aws:iam::1:role/producer',
      scope: 'write',
    });
    const anonymous = await iam.authenticate({ headers: {}, identity: { userArn: null, caller: null } });
    expect(anonymous).toMatchObject({ ok: false, outcome: { id: '403' } });
    const token = await iam.authenticate({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(token).toMatchObject({ ok: false, outcome: { id: '403' } });
  });

  it('grants admin to IAM callers on the admin list only (a role ARN covers its sessions)', async () => {
    const iam = createAuthenticator({
      modes: ['iam'],
      adminPrincipalArns: ['arn:aws:iam::111122223333:role/ops/connector-admin'],
    });
    const session = await iam.authenticate({
      headers: {},
      identity: { userArn: 'arn:aws:sts::111122223333:assumed-role/connector-admin/alice' },
    });
    expect(session).toMatchObject({ ok: true, scope: 'admin' });
    const producer = await iam.authenticate({
      headers: {},
      identity: { userArn: 'arn:aws:sts::111122223333:assumed-role/producer/hapi' },
    });
    expect(producer).toMatchObject({ ok: true, scope: 'write' });
  });

  it('refuses to build bearer mode without a token source', () => {
    expect(() => createAuthenticator({ modes: ['bearer'] })).toThrow(/token source/);
  });
});

describe('Function: isAdminPrincipal', () => {
  const role = 'arn:aws:iam::111122223333:role/connector-admin';
  it('matches the ARN itself and sessions of a listed role, nothing else', () => {
    expect(isAdminPrincipal(role, [role])).toBe(true);
    expect(isAdminPrincipal('arn:aws:sts::111122223333:assumed-role/connector-admin/s1', [role])).toBe(true);
    expect(isAdminPrincipal('arn:aws:sts::444455556666:assumed-role/connector-admin/s1', [role])).toBe(false);
    expect(isAdminPrincipal('arn:aws:sts::111122223333:assumed-role/connector-admin-2/s1', [role])).toBe(
      false,
    );
    expect(isAdminPrincipal('arn:aws:iam::111122223333:user/connector-admin', [role])).toBe(false);
    expect(isAdminPrincipal(role, [])).toBe(false);
  });
});

describe('Function: powertoolsTokenSource', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it('reads the hash list from Secrets Manager and caches it for maxAge', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        tokens: [
          { name: 'hapi-prod', scope: 'write', sha256: hashToken(TOKEN) },
          { name: 'ops', scope: 'admin', sha256: hashToken('b') },
        ],
      }),
    });
    const source = powertoolsTokenSource({
      store: 'secretsmanager',
      name: 'ingest-tokens',
      maxAgeSeconds: 60,
      secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    expect(await source()).toEqual([
      { name: 'hapi-prod', scope: 'write', sha256: hashToken(TOKEN) },
      { name: 'ops', scope: 'admin', sha256: hashToken('b') },
    ]);
    await source();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('holds one list, under the one configured name: a rotated list replaces the old after maxAge', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      let rotation = 0;
      secrets.on(GetSecretValueCommand).callsFake(async () => {
        rotation += 1;
        return {
          SecretString: JSON.stringify({
            tokens: [{ name: `r${rotation}`, sha256: hashToken(`t${rotation}`) }],
          }),
        };
      });
      const source = powertoolsTokenSource({
        store: 'secretsmanager',
        name: 'ingest-tokens',
        maxAgeSeconds: 60,
        secretsClient: new SecretsManagerClient({ region: 'us-east-1' }),
      });
      // Two days of an instance whose token list is rotated every 20 minutes.
      for (let step = 1; step <= 144; step += 1) {
        expect(await source()).toEqual([{ name: `r${step}`, scope: 'write', sha256: hashToken(`t${step}`) }]);
        vi.advanceTimersByTime(20 * 60_000);
      }
      const calls = secrets.commandCalls(GetSecretValueCommand);
      expect(calls).toHaveLength(144);
      expect(new Set(calls.map((call) => call.args[0].input.SecretId))).toEqual(new Set(['ingest-tokens']));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Function: parseTokenList', () => {
  it('reads an old bare list of hashes as write-only tokens', () => {
    expect(parseTokenList([hashToken('x'), { sha256: hashToken('y'), name: 'legacy' }])).toEqual([
      { sha256: hashToken('x'), scope: 'write' },
      { sha256: hashToken('y'), scope: 'write', name: 'legacy' },
    ]);
  });

  it('reads the named, scoped format', () => {
    expect(
      parseTokenList({ tokens: [{ name: 'ops', scope: 'admin', sha256: hashToken('x').toUpperCase() }] }),
    ).toEqual([{ sha256: hashToken('x'), scope: 'admin', name: 'ops' }]);
  });

  it('ignores, rather than trusts, entries it cannot read (fail closed)', () => {
    expect(parseTokenList({ token: 'x' })).toEqual([]);
    expect(parseTokenList('junk')).toEqual([]);
    expect(
      parseTokenList({
        tokens: [
          'ABCDEF',
          { sha256: hashToken('a'), scope: 'superuser' },
          { sha256: hashToken('b'), scope: ['admin'] },
          null,
          { scope: 'admin' },
        ],
      }),
    ).toEqual([]);
  });
});
