import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CredentialCache,
  fromProcessEnv,
  sessionNameFor,
} from '../../../shared/healthlake/CredentialCache.js';
import { CredentialsError } from '../../../shared/healthlake/errors.js';

const sts = mockClient(STSClient);
const role = { roleArn: 'arn:aws:iam::111122223333:role/healthlake-writer', externalId: 'ext-123' };
const HOUR = 3_600_000;

const issue = (now: number, lifetimeMs = HOUR, n = 1) => ({
  Credentials: {
    AccessKeyId: `ASIA${n}`,
    SecretAccessKey: `secret-${n}`,
    SessionToken: `token-${n}`,
    Expiration: new Date(now + lifetimeMs),
  },
});

describe('Class: CredentialCache', () => {
  afterEach(() => {
    sts.reset();
  });

  it('assumes the role once for many calls', async () => {
    let now = 1_000_000;
    sts.on(AssumeRoleCommand).resolves(issue(now));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'prod-1', now: () => now });
    const provider = cache.providerFor(role);
    for (let i = 0; i < 100; i += 1) {
      now += 1000;
      expect((await provider()).accessKeyId).toBe('ASIA1');
    }
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(cache.assumeRoleCalls).toBe(1);
  });

  it('hands out the whole STS session: key id, secret, session token and expiry', async () => {
    const now = 1_000_000;
    sts.on(AssumeRoleCommand).resolves(issue(now));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c', now: () => now });
    // Temporary keys are useless without their session token: SigV4 must send it.
    await expect(cache.get(role)).resolves.toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret-1',
      sessionToken: 'token-1',
      expiration: new Date(now + HOUR),
    });
  });

  it('sends the role, the ExternalId, a one-hour duration and a session name naming the connector', async () => {
    sts.on(AssumeRoleCommand).resolves(issue(Date.now()));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'prod_1' });
    await cache.get(role);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: role.roleArn,
      ExternalId: 'ext-123',
      RoleSessionName: 'healthlake-connector-prod_1',
      DurationSeconds: 3600,
    });
  });

  it('makes session names valid for STS: allowed characters only, at most 64', () => {
    expect(sessionNameFor('a b/c')).toBe('healthlake-connector-a-b-c');
    expect(sessionNameFor('x'.repeat(100))).toHaveLength(64);
    expect(sessionNameFor('x'.repeat(100))).toMatch(/^[\w+=,.@-]+$/);
  });

  it('refreshes five minutes before expiry, not earlier', async () => {
    let now = 0;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issue(0, HOUR, 1))
      .resolvesOnce(issue(HOUR - 300_000, HOUR, 2));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c', now: () => now });
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
    now = HOUR - 300_001;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
    now = HOUR - 300_000;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('reuses short-lived credentials for three quarters of their life', async () => {
    let now = 0;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issue(0, 4000, 1))
      .resolvesOnce(issue(3000, 4000, 2));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c', now: () => now });
    await cache.get(role);
    now = 2999;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
    now = 3000;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA2');
  });

  it('caches per role', async () => {
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => ({
      Credentials: {
        AccessKeyId: input.RoleArn.endsWith('a') ? 'ASIAA' : 'ASIAB',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + HOUR),
      },
    }));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c' });
    const a = { roleArn: 'arn:aws:iam::1:role/a' };
    const b = { roleArn: 'arn:aws:iam::1:role/b' };
    expect((await cache.get(a)).accessKeyId).toBe('ASIAA');
    expect((await cache.get(b)).accessKeyId).toBe('ASIAB');
    expect((await cache.get(a)).accessKeyId).toBe('ASIAA');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('lets concurrent callers share one refresh', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    sts.on(AssumeRoleCommand).callsFake(async () => {
      await gate;
      return issue(Date.now());
    });
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c' });
    const waiting = Array.from({ length: 20 }, () => cache.get(role));
    release();
    const all = await Promise.all(waiting);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA1']));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('refreshes after invalidate (HealthLake said the token expired)', async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issue(Date.now(), HOUR, 1))
      .resolvesOnce(issue(Date.now(), HOUR, 2));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c' });
    await cache.get(role);
    cache.invalidate(role);
    expect((await cache.get(role)).accessKeyId).toBe('ASIA2');
  });

  it('wraps STS failures in CredentialsError and tries again on the next call', async () => {
    sts.on(AssumeRoleCommand).rejectsOnce(new Error('AccessDenied')).resolves(issue(Date.now()));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c' });
    await expect(cache.get(role)).rejects.toBeInstanceOf(CredentialsError);
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
  });

  it('uses the function’s own credentials in same-account mode, without calling STS', async () => {
    const cache = new CredentialCache({
      sts: new STSClient({}),
      connectorId: 'c',
      ownCredentials: fromProcessEnv({ AWS_ACCESS_KEY_ID: 'AKIDOWN', AWS_SECRET_ACCESS_KEY: 'own' }),
    });
    const credentials = await cache.providerFor(undefined)();
    expect(credentials).toEqual({ accessKeyId: 'AKIDOWN', secretAccessKey: 'own' });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('passes the function’s session token on in same-account mode', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'ASIAOWN',
      AWS_SECRET_ACCESS_KEY: 'own',
      AWS_SESSION_TOKEN: 'own-token',
    };
    await expect(fromProcessEnv(env)()).resolves.toEqual({
      accessKeyId: 'ASIAOWN',
      secretAccessKey: 'own',
      sessionToken: 'own-token',
    });
  });

  it('reports missing environment credentials clearly', async () => {
    await expect(fromProcessEnv({})()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
  });

  it('keeps using still-valid credentials when an early refresh fails, and retries a little later', async () => {
    let now = 0;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issue(0, HOUR, 1))
      .rejectsOnce(new Error('Throttling'))
      .resolvesOnce(issue(0, HOUR, 2));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c', now: () => now });
    await cache.get(role);
    now = HOUR - 200_000; // inside the refresh margin, not expired
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
    now += 1000;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA1');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    now += 5000;
    expect((await cache.get(role)).accessKeyId).toBe('ASIA2');
  });

  it('never falls back to credentials HealthLake rejected', async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issue(Date.now(), HOUR, 1))
      .rejects(new Error('Throttling'));
    const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'c' });
    await cache.get(role);
    cache.invalidate(role);
    await expect(cache.get(role)).rejects.toBeInstanceOf(CredentialsError);
  });
});
