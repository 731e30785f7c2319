/**
 * What the connector adds around the SDK's credential providers, with sources it controls: the
 * AssumeRole request it makes (against a loopback STS recorder), the session name, and the cache's
 * forced refresh and stale fallback. Behaviour against the STS stand-in: credentials.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assumeRoleSource,
  cachedCredentials,
  ownCredentials,
  sessionNameFor,
} from '../../../shared/healthlake/credentials.js';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const BASE = { accessKeyId: 'AKIDBASE', secretAccessKey: 'base-secret' };
const ROLE_ARN = 'arn:aws:iam::123456789012:role/healthlake-writer';

describe('Function: sessionNameFor', () => {
  it('names the session after the connector, within what STS accepts', () => {
    expect(sessionNameFor('prod_1')).toBe('healthlake-connector-prod_1');
    expect(sessionNameFor('prod 1/ä+x=y,z.w@v')).toBe('healthlake-connector-prod-1--+x=y,z.w@v');
    expect(sessionNameFor('x'.repeat(80))).toBe(`healthlake-connector-${'x'.repeat(43)}`);
  });
});

describe('Function: assumeRoleSource (the AssumeRole request)', () => {
  const requests: Array<{ params: URLSearchParams; headers: IncomingHttpHeaders }> = [];
  let server: Server;
  let stsEndpoint: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({
          params: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
          headers: request.headers,
        });
        response
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<AssumeRoleResponse xmlns="${STS_NAMESPACE}"><AssumeRoleResult>` +
              '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>' +
              '<Arn>arn:aws:sts::123456789012:assumed-role/healthlake-writer/s</Arn></AssumedRoleUser>' +
              '<Credentials><AccessKeyId>ASIAISSUED</AccessKeyId><SecretAccessKey>issued</SecretAccessKey>' +
              '<SessionToken>session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>' +
              '</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>',
          );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stsEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  afterEach(() => {
    requests.length = 0;
  });

  it('asks for a one-hour session by default, without an ExternalId when the role has none', async () => {
    const source = assumeRoleSource({
      role: { roleArn: ROLE_ARN },
      connectorId: 'c1',
      sts: { region: 'eu-west-3', endpoint: stsEndpoint, credentials: BASE },
    });
    expect(await source()).toMatchObject({ accessKeyId: 'ASIAISSUED', sessionToken: 'session' });
    const { params, headers } = requests[0]!;
    expect(params.get('Action')).toBe('AssumeRole');
    expect(params.get('RoleArn')).toBe(ROLE_ARN);
    expect(params.get('RoleSessionName')).toBe('healthlake-connector-c1');
    expect(params.get('DurationSeconds')).toBe('3600');
    expect(params.has('ExternalId')).toBe(false);
    // Signed with the caller's credentials, in the configured region.
    expect(headers.authorization).toMatch(/Credential=AKIDBASE\/\d{8}\/eu-west-3\/sts\/aws4_request/);
  });

  it('passes the ExternalId and the session length asked for', async () => {
    const source = assumeRoleSource({
      role: { roleArn: ROLE_ARN, externalId: 'ext-42' },
      connectorId: 'c1',
      durationSeconds: 900,
      sts: { region: 'eu-west-3', endpoint: stsEndpoint, credentials: BASE },
    });
    await source();
    expect(requests[0]?.params.get('ExternalId')).toBe('ext-42');
    expect(requests[0]?.params.get('DurationSeconds')).toBe('900');
  });

  it('builds a source without any STS settings (the Lambda default chain and region)', () => {
    expect(typeof assumeRoleSource({ role: { roleArn: ROLE_ARN }, connectorId: 'c1' })).toBe('function');
  });
});

describe('Function: cachedCredentials', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A source handing out numbered credentials that expire `lifetimeMs` after issue; `fail` makes it throw. */
  const numberedSource = (lifetimeMs: number) => {
    const state = { calls: 0, fail: false };
    const source = async (): Promise<AwsCredentialIdentity> => {
      state.calls += 1;
      if (state.fail) throw new Error('STS unavailable');
      return {
        accessKeyId: `AK${state.calls}`,
        secretAccessKey: 's',
        expiration: new Date(Date.now() + lifetimeMs),
      };
    };
    return { state, source };
  };

  it('forces one refresh after a rejection, then serves from the cache again', async () => {
    const { state, source } = numberedSource(3_600_000);
    const credentials = cachedCredentials(source);
    expect((await credentials.provider()).accessKeyId).toBe('AK1');
    expect((await credentials.provider()).accessKeyId).toBe('AK1');
    credentials.refresh();
    expect((await credentials.provider()).accessKeyId).toBe('AK2');
    expect((await credentials.provider()).accessKeyId).toBe('AK2');
    expect(state.calls).toBe(2);
  });

  it('stops waiting on the forced refresh once it is done, so expiring credentials refresh again', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const { state, source } = numberedSource(360_000);
    const credentials = cachedCredentials(source);
    await credentials.provider();
    credentials.refresh();
    expect((await credentials.provider()).accessKeyId).toBe('AK2');
    // Into the SDK's refresh window (5 minutes before expiry): the next call fetches anew.
    vi.setSystemTime(1_000_000 + 70_000);
    expect((await credentials.provider()).accessKeyId).toBe('AK3');
    expect(state.calls).toBe(3);
  });

  it('keeps the credentials in hand when a refresh fails, until 10 s before they expire', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const { state, source } = numberedSource(360_000);
    const credentials = cachedCredentials(source);
    expect((await credentials.provider()).accessKeyId).toBe('AK1');
    state.fail = true;
    vi.setSystemTime(1_000_000 + 70_000);
    expect((await credentials.provider()).accessKeyId).toBe('AK1');
    vi.setSystemTime(1_000_000 + 360_000 - 10_001);
    expect((await credentials.provider()).accessKeyId).toBe('AK1');
    vi.setSystemTime(1_000_000 + 360_000 - 10_000);
    await expect(credentials.provider()).rejects.toThrow('STS unavailable');
    expect(state.calls).toBeGreaterThan(1);
  });

  it('never falls back to rejected credentials that a call in flight during the rejection returns', async () => {
    let calls = 0;
    const credentials = cachedCredentials(async () => {
      calls += 1;
      if (calls > 1) throw new Error('STS unavailable');
      return { accessKeyId: 'AK1', secretAccessKey: 's' };
    });
    await credentials.provider();
    // A delivery asks for credentials just before HealthLake rejects them.
    const inFlight = credentials.provider();
    credentials.refresh();
    expect((await inFlight).accessKeyId).toBe('AK1');
    await expect(credentials.provider()).rejects.toThrow('STS unavailable');
  });

  it('hands out the credentials given for same-account mode', async () => {
    const given = { accessKeyId: 'AKIDGIVEN', secretAccessKey: 's', sessionToken: 't' };
    expect(await ownCredentials(given).provider()).toEqual(given);
  });
});
