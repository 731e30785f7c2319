/**
 * HealthLake credentials from `@aws-sdk/credential-providers` against the STS stand-in over real
 * sockets: the behaviours kept beyond the library are each shown to matter here.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHealthLakeStandin, type FhirStandin } from '../../../local/standins/healthlake/index.js';
import {
  assumeRoleSource,
  cachedCredentials,
  ownCredentials,
  type CredentialProvider,
  roleCredentials,
  type RoleCredentialsOptions,
} from '../../../shared/healthlake/credentials.js';
import { CredentialsError } from '../../../shared/healthlake/errors.js';
import { HealthLakeClient } from '../../../shared/healthlake/HealthLakeClient.js';
import { waitFor } from '../../helpers/deliveryMessages.js';

/** Issued credentials live a little over the SDK's 5-minute refresh window, so a test can enter it. */
const LIFETIME_SECONDS = 302;

describe('HealthLake credentials (fromTemporaryCredentials against the STS stand-in)', () => {
  let standin: FhirStandin;

  beforeAll(async () => {
    standin = await startHealthLakeStandin({ credentialLifetimeSeconds: LIFETIME_SECONDS });
  });

  afterAll(async () => {
    await standin?.stop();
  });

  afterEach(() => {
    standin.sts.calls.length = 0;
  });

  const options = (externalId = standin.externalId): RoleCredentialsOptions => ({
    role: { roleArn: standin.roleArn, ...(externalId ? { externalId } : {}) },
    connectorId: 'prod_1',
    durationSeconds: 1800,
    sts: { region: standin.region, endpoint: standin.stsEndpoint, credentials: standin.baseCredentials },
  });
  const client = (provider: CredentialProvider) =>
    new HealthLakeClient({ endpoint: standin.endpoint, region: standin.region, credentials: provider });

  it('makes one AssumeRole per credential lifetime however many deliveries ask at once', async () => {
    const credentials = roleCredentials(options());
    const writer = client(credentials.provider);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        writer.put('Patient', `c${index}`, JSON.stringify({ resourceType: 'Patient', id: `c${index}` })),
      ),
    );
    writer.destroy();
    // The stand-in checks each signature and its x-amz-security-token against the issued session.
    expect(answers.map((answer) => answer.status).every((status) => status === 201)).toBe(true);
    expect(standin.sts.assumeRoleCount).toBe(1);
    expect(standin.sts.calls[0]?.roleSessionName).toBe('healthlake-connector-prod_1');
  });

  it('sends the session token of the assumed role with every request', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const recorder: Server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const port = (recorder.address() as AddressInfo).port;
    const credentials = roleCredentials(options());
    const writer = new HealthLakeClient({
      endpoint: `http://127.0.0.1:${port}/datastore/x/r4/`,
      region: standin.region,
      credentials: credentials.provider,
    });
    await writer.put('Patient', 'p1', '{}');
    writer.destroy();
    recorder.closeAllConnections();
    await new Promise((resolve) => recorder.close(resolve));
    const issued = await credentials.provider();
    expect(issued.sessionToken).toBeTruthy();
    expect(seen[0]?.['x-amz-security-token']).toBe(issued.sessionToken);
    expect(seen[0]?.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
  });

  it('keeps delivering with the credentials in hand when a refresh fails before they expire', async () => {
    const credentials = roleCredentials(options());
    // The library alone, for contrast: the same source and cache without the fallback.
    const bare = memoizeIdentityProvider(
      assumeRoleSource(options()),
      isIdentityExpired,
      doesIdentityRequireRefresh,
    );
    const writer = client(credentials.provider);
    expect((await writer.put('Patient', 'k1', '{"resourceType":"Patient","id":"k1"}')).status).toBe(201);
    const first = await credentials.provider();
    await bare?.();
    // Enter the SDK's refresh window (5 minutes before expiry), then let STS fail every call.
    await waitFor(() => isIdentityExpired(first), { timeoutMs: 5000, what: 'the refresh window' });
    standin.faults.failNext({ target: 'sts' }, 'unavailable', 1000);
    try {
      await expect(bare?.()).rejects.toThrow();
      expect((await writer.put('Patient', 'k2', '{"resourceType":"Patient","id":"k2"}')).status).toBe(201);
      expect((await credentials.provider()).accessKeyId).toBe(first.accessKeyId);
    } finally {
      standin.faults.reset();
    }
    // STS is back: the next call refreshes.
    expect((await credentials.provider()).accessKeyId).not.toBe(first.accessKeyId);
    writer.destroy();
  });

  it('hands out fresh credentials after HealthLake rejected the current ones, never the rejected ones', async () => {
    const credentials = roleCredentials(options());
    const first = await credentials.provider();
    credentials.refresh();
    const [a, b] = await Promise.all([credentials.provider(), credentials.provider()]);
    expect(a?.accessKeyId).not.toBe(first.accessKeyId);
    expect(b?.accessKeyId).toBe(a?.accessKeyId);
    expect(standin.sts.assumeRoleCount).toBe(2);
    // A failed refresh after a rejection does not fall back to the rejected credentials.
    credentials.refresh();
    standin.faults.failNext({ target: 'sts' }, 'unavailable', 1000);
    try {
      await expect(credentials.provider()).rejects.toThrow();
    } finally {
      standin.faults.reset();
    }
  });

  it('reports an AssumeRole refused by STS (wrong ExternalId) as access denied', async () => {
    const writer = client(roleCredentials(options('not-the-external-id')).provider);
    const error = await writer.put('Patient', 'x', '{}').catch((caught: unknown) => caught);
    writer.destroy();
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).accessDenied).toBe(true);
    expect(standin.sts.calls[0]?.errorCode).toBe('AccessDenied');
  });

  it('uses the Node default chain (here the environment) in same-account mode', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDSAMEACCOUNT',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'lambda-session',
    });
    try {
      const own = await ownCredentials().provider();
      expect(own).toMatchObject({ accessKeyId: 'AKIDSAMEACCOUNT', sessionToken: 'lambda-session' });
    } finally {
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('coalesces concurrent first calls of any source into one', async () => {
    let calls = 0;
    const credentials = cachedCredentials(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { accessKeyId: 'A', secretAccessKey: 'S', expiration: new Date(Date.now() + 3_600_000) };
    });
    await Promise.all(Array.from({ length: 20 }, () => credentials.provider()));
    expect(calls).toBe(1);
  });
});
