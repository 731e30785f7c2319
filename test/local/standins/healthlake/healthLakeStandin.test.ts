import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../../local/standins/healthlake/index.js';
import { startHealthLakeStandin } from '../../../../local/standins/healthlake/index.js';
import type { SigV4Credentials } from '../../../helpers/sigv4Request.js';
import { sigv4Request } from '../../../helpers/sigv4Request.js';

const patient = (id: string, family: string): Patient => ({
  resourceType: 'Patient',
  id,
  meta: { versionId: '7' },
  name: [{ family }],
});

const assumeRole = async (
  standin: FhirStandin,
  overrides: { roleArn?: string; externalId?: string; durationSeconds?: number } = {},
): Promise<SigV4Credentials & { expiration: Date | undefined }> => {
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: standin.stsEndpoint,
    credentials: standin.baseCredentials,
  });
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: overrides.roleArn ?? standin.roleArn,
        RoleSessionName: 'hlc-test',
        ExternalId: overrides.externalId ?? standin.externalId,
        DurationSeconds: overrides.durationSeconds ?? 900,
      }),
    );
    return {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
      expiration: Credentials?.Expiration,
    };
  } finally {
    sts.destroy();
  }
};

const issueCode = (text: string) => (JSON.parse(text) as OperationOutcome).issue?.[0]?.code;

describe('HealthLake stand-in', () => {
  let standin: FhirStandin;
  let credentials: SigV4Credentials;

  beforeAll(async () => {
    standin = await startHealthLakeStandin({ notSupportedTypes: ['Basic'] });
    credentials = await assumeRole(standin);
  });

  afterAll(async () => {
    await standin?.stop();
  });

  it('serves the HealthLake path layout', () => {
    expect(standin.endpoint).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:[0-9]+/datastore/${standin.datastoreId}/r4/$`),
    );
    expect(standin.datastoreId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('issues temporary credentials through the real STS client and counts AssumeRole calls', async () => {
    const before = standin.sts.assumeRoleCount;
    const issued = await assumeRole(standin);
    expect(issued.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(issued.sessionToken).not.toBe('');
    expect(issued.expiration?.getTime()).toBeGreaterThan(Date.now() + 800_000);
    expect(standin.sts.assumeRoleCount).toBe(before + 1);
  });

  it('creates with a signed PUT (201), then updates (200), keeping the version history', async () => {
    const url = `${standin.endpoint}Patient/pat-1`;
    const created = await sigv4Request({ url, method: 'PUT', credentials, body: patient('pat-1', 'One') });
    expect(created.status).toBe(201);
    expect(created.json<Patient>().meta?.versionId).toBe('1');
    expect(created.headers.etag).toBe('W/"1"');
    expect(created.headers.location).toBe(`${url}/_history/1`);

    const updated = await sigv4Request({ url, method: 'PUT', credentials, body: patient('pat-1', 'Two') });
    expect(updated.status).toBe(200);
    expect(updated.json<Patient>().meta?.versionId).toBe('2');

    const read = await sigv4Request({ url, method: 'GET', credentials });
    expect(read.json<Patient>().name?.[0]?.family).toBe('Two');

    const history = await sigv4Request({ url: `${url}/_history`, method: 'GET', credentials });
    const bundle = history.json<Bundle<Patient>>();
    expect(bundle.type).toBe('history');
    expect(bundle.entry?.map((entry) => entry.resource?.meta?.versionId)).toEqual(['2', '1']);

    const first = await sigv4Request({ url: `${url}/_history/1`, method: 'GET', credentials });
    expect(first.json<Patient>().name?.[0]?.family).toBe('One');
    expect(standin.current<Patient>('Patient', 'pat-1')?.name?.[0]?.family).toBe('Two');
  });

  it('records the versionId of the request body, in arrival order', async () => {
    const puts = standin.requests.filter((request) => request.method === 'PUT' && request.id === 'pat-1');
    expect(puts.map((request) => [request.status, request.versionId])).toEqual([
      [201, '7'],
      [200, '7'],
    ]);
    const seqs = standin.requests.map((request) => request.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('deletes with 204, records the deletion in history, and answers 410 on read', async () => {
    const url = `${standin.endpoint}Patient/pat-del`;
    await sigv4Request({ url, method: 'PUT', credentials, body: patient('pat-del', 'Gone') });
    const deleted = await sigv4Request({ url, method: 'DELETE', credentials });
    expect(deleted.status).toBe(204);
    expect(standin.current('Patient', 'pat-del')).toBeUndefined();
    expect((await sigv4Request({ url, method: 'GET', credentials })).status).toBe(410);
    const history = (
      await sigv4Request({ url: `${url}/_history`, method: 'GET', credentials })
    ).json<Bundle>();
    expect(history.entry?.map((entry) => entry.request?.method)).toEqual(['DELETE', 'PUT']);
    // Deleting what is not there is answered 204 by default (configurable to 404).
    const again = await sigv4Request({ url, method: 'DELETE', credentials });
    expect(again.status).toBe(204);
  });

  it('verifies signatures over query strings with reserved characters', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient?_id=pat-1,pat-2&name:contains=Tw&_count=5`,
      method: 'GET',
      credentials,
    });
    expect(response.status).toBe(200);
    const bundle = response.json<Bundle<Patient>>();
    expect(bundle.entry?.map((entry) => entry.resource?.id)).toEqual(['pat-1']);
  });

  it('can answer 404 to a DELETE of a missing resource when configured', async () => {
    const strict = await startHealthLakeStandin({ deleteMissingStatus: 404 });
    try {
      const issued = await assumeRole(strict);
      const response = await sigv4Request({
        url: `${strict.endpoint}Patient/never`,
        method: 'DELETE',
        credentials: issued,
      });
      expect(response.status).toBe(404);
    } finally {
      await strict.stop();
    }
  });

  it('rejects a PUT whose body id differs from the URL', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-x`,
      method: 'PUT',
      credentials,
      body: patient('pat-y', 'Mismatch'),
    });
    expect(response.status).toBe(400);
    expect(issueCode(response.text)).toBe('invalid');
  });

  it('validates resources against R4 when asked to', async () => {
    const validating = await startHealthLakeStandin({ validate: true });
    try {
      const issued = await assumeRole(validating);
      const url = `${validating.endpoint}Patient/v1`;
      const invalid = await sigv4Request({
        url,
        method: 'PUT',
        credentials: issued,
        body: { ...patient('v1', 'V'), foo: 1 },
      });
      expect(invalid.status).toBe(400);
      expect(issueCode(invalid.text)).toBe('structure');
      const valid = await sigv4Request({ url, method: 'PUT', credentials: issued, body: patient('v1', 'V') });
      expect(valid.status).toBe(201);
    } finally {
      await validating.stop();
    }
  });

  it('answers a configured type with 400 not-supported', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Basic/b1`,
      method: 'PUT',
      credentials,
      body: { resourceType: 'Basic', id: 'b1', code: { text: 'x' } },
    });
    expect(response.status).toBe(400);
    const outcome = response.json<OperationOutcome>();
    expect(outcome.issue?.[0]?.code).toBe('not-supported');
    expect(outcome.issue?.[0]?.diagnostics).toBe('ResourceType Basic is not supported.');
  });

  it('rejects a request whose signature does not match (403)', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-sig`,
      method: 'PUT',
      credentials,
      body: patient('pat-sig', 'Signed'),
      tamper: (request) => {
        request.body = JSON.stringify(patient('pat-sig', 'Tampered'));
      },
    });
    expect(response.status).toBe(403);
    expect(issueCode(response.text)).toBe('forbidden');
    expect(standin.current('Patient', 'pat-sig')).toBeUndefined();
  });

  it('rejects a signature made with the wrong secret (403)', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-1`,
      method: 'GET',
      credentials: { ...credentials, secretAccessKey: 'not-the-secret' },
    });
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
  });

  it('rejects an unknown access key (403)', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-1`,
      method: 'GET',
      credentials: { accessKeyId: 'ASIAUNKNOWNUNKNOWN12', secretAccessKey: 'x', sessionToken: 'y' },
    });
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
  });

  it('rejects temporary credentials sent without their session token (403)', async () => {
    const { sessionToken: _token, ...withoutToken } = credentials;
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-1`,
      method: 'GET',
      credentials: withoutToken,
    });
    expect(response.status).toBe(403);
  });

  it('rejects a request signed more than 5 minutes ago (403)', async () => {
    const response = await sigv4Request({
      url: `${standin.endpoint}Patient/pat-1`,
      method: 'GET',
      credentials,
      signingDate: new Date(Date.now() - 6 * 60_000),
    });
    expect(response.status).toBe(403);
    expect(response.text).toContain('5 minutes');
  });

  it('rejects a signature scoped to another service or region (403)', async () => {
    const url = `${standin.endpoint}Patient/pat-1`;
    expect((await sigv4Request({ url, method: 'GET', credentials, service: 'execute-api' })).status).toBe(
      403,
    );
    expect((await sigv4Request({ url, method: 'GET', credentials, region: 'eu-west-1' })).status).toBe(403);
  });

  it('rejects expired credentials (403 ExpiredTokenException)', async () => {
    const shortLived = await startHealthLakeStandin({ credentialLifetimeSeconds: 1 });
    try {
      const issued = await assumeRole(shortLived);
      const url = `${shortLived.endpoint}Patient/p`;
      const fresh = await sigv4Request({ url, method: 'PUT', credentials: issued, body: patient('p', 'A') });
      expect(fresh.status).toBe(201);
      // Wait for the condition (expiry), not a fixed time.
      while (Date.now() <= (issued.expiration?.getTime() ?? 0) + 1000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const stale = await sigv4Request({ url, method: 'GET', credentials: issued });
      expect(stale.status).toBe(403);
      expect(stale.headers['x-amzn-errortype']).toBe('ExpiredTokenException');
    } finally {
      await shortLived.stop();
    }
  });

  it('denies AssumeRole with a wrong ExternalId or role ARN (AccessDenied)', async () => {
    await expect(assumeRole(standin, { externalId: 'wrong' })).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      assumeRole(standin, { roleArn: 'arn:aws:iam::111122223333:role/SomethingElse' }),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('limits role-chained sessions to one hour, as STS does', async () => {
    const chained = await startHealthLakeStandin({
      baseCredentials: [
        {
          accessKeyId: 'ASIACALLERROLE000001',
          secretAccessKey: 'caller-secret',
          sessionToken: 'caller-token',
        },
      ],
    });
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: chained.stsEndpoint,
      credentials: {
        accessKeyId: 'ASIACALLERROLE000001',
        secretAccessKey: 'caller-secret',
        sessionToken: 'caller-token',
      },
    });
    try {
      const command = (seconds: number) =>
        new AssumeRoleCommand({
          RoleArn: chained.roleArn,
          RoleSessionName: 'chained',
          ExternalId: chained.externalId,
          DurationSeconds: seconds,
        });
      await expect(sts.send(command(7200))).rejects.toMatchObject({ name: 'ValidationError' });
      const { Credentials } = await sts.send(command(3600));
      expect(Credentials?.AccessKeyId).toMatch(/^ASIA/);
      expect(chained.sts.assumeRoleCount).toBe(1);
    } finally {
      sts.destroy();
      await chained.stop();
    }
  });

  it('rejects AssumeRole signed with unknown base credentials', async () => {
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: standin.stsEndpoint,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'nope' },
    });
    try {
      await expect(
        sts.send(
          new AssumeRoleCommand({
            RoleArn: standin.roleArn,
            RoleSessionName: 's1',
            ExternalId: standin.externalId,
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    } finally {
      sts.destroy();
    }
  });
});
