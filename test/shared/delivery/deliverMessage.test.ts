import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverMessage } from '../../../shared/delivery/deliverMessage.js';
import { type DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { badRequest, notSupported, serverError } from '../../../shared/fhir/outcomes.js';
import { CredentialsError, HealthLakeTransientError } from '../../../shared/healthlake/errors.js';
import { deliveryMessage, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';
import { DIAGNOSTICS_WITHHELD } from '../../../shared/healthlake/allowListedIssue.js';

const s3 = mockClient(S3Client);
const NOW = Date.parse('2026-01-01T00:00:10.000Z');

const setup = () => {
  const fake = new FakeHealthLake();
  const rejected: string[] = [];
  const deps: DeliverMessageDeps = {
    healthLake: () => fake,
    credentialsRejected: (endpoint) => rejected.push(endpoint),
    s3: new S3Client({ region: 'us-east-1' }),
    now: () => NOW,
  };
  return { fake, deps, rejected };
};

/** The part of an S3 body stream loadPayload uses. */
const s3Body = (text: string) =>
  ({ transformToByteArray: async () => new Uint8Array(Buffer.from(text)) }) as unknown as NonNullable<
    GetObjectCommandOutput['Body']
  >;

describe('Function: deliverMessage', () => {
  afterEach(() => {
    s3.reset();
  });

  it('delivers an upsert as PUT of the resource and reports the HealthLake latency', async () => {
    const { fake, deps } = setup();
    const outcome = await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 1 }, deps);
    expect(outcome).toEqual({ kind: 'delivered', status: 200, healthLakeLatencyMs: 3 });
    expect(fake.calls[0]).toMatchObject({ method: 'PUT', resourceType: 'Patient', id: 'p1' });
    expect(fake.calls[0]?.body).toMatchObject({ meta: { versionId: '2' } });
  });

  it('delivers a delete as DELETE, and treats 404 and 410 as done', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({ operation: 'delete', versionId: '3' });
    expect((await deliverMessage(message, { attempt: 1 }, deps)).kind).toBe('deleted');
    for (const status of [404, 410]) {
      fake.responder = () => ({ status, latencyMs: 1 });
      expect(await deliverMessage(message, { attempt: 1 }, deps)).toMatchObject({ kind: 'deleted', status });
    }
    expect(fake.calls.map((call) => call.method)).toEqual(['DELETE', 'DELETE', 'DELETE']);
  });

  it('treats 404 on a PUT as terminal', async () => {
    const { fake, deps } = setup();
    fake.responder = () => ({ status: 404, latencyMs: 1 });
    expect((await deliverMessage(deliveryMessage(), { attempt: 1 }, deps)).kind).toBe('terminal-failure');
  });

  it('drops a resource type HealthLake does not support (400 not-supported)', async () => {
    const { fake, deps } = setup();
    fake.responder = () => ({
      status: 400,
      latencyMs: 1,
      outcome: notSupported('ResourceType X is not supported.'),
    });
    expect(await deliverMessage(deliveryMessage(), { attempt: 1 }, deps)).toEqual({
      kind: 'not-supported-dropped',
      status: 400,
      healthLakeLatencyMs: 1,
    });
  });

  it.each([429, 500, 502, 503, 504, 408])('treats HTTP %i as transient, with the cause', async (status) => {
    const { fake, deps } = setup();
    fake.responder = () => ({ status, latencyMs: 1, outcome: serverError('boom') });
    const outcome = await deliverMessage(deliveryMessage(), { attempt: 3 }, deps);
    expect(outcome).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'http-status', status, attempt: 3, at: new Date(NOW).toISOString() },
    });
  });

  it('treats other 4xx as terminal, keeping the issue code and the allow-listed diagnostics', async () => {
    const { fake, deps } = setup();
    fake.responder = () => ({
      status: 400,
      latencyMs: 1,
      outcome: badRequest('Patient.birthDate: invalid', 'Patient.birthDate'),
    });
    expect(await deliverMessage(deliveryMessage(), { attempt: 2 }, deps)).toMatchObject({
      kind: 'terminal-failure',
      cause: {
        status: 400,
        issueCode: 'invalid',
        diagnostics: `${DIAGNOSTICS_WITHHELD} at Patient.birthDate`,
        attempt: 2,
      },
    });
  });

  it('treats HealthLake access denied (401/403) as a transient configuration fault, not a poison message', async () => {
    const { fake, deps, rejected } = setup();
    for (const status of [401, 403]) {
      fake.responder = () => ({ status, latencyMs: 1, errorType: 'AccessDeniedException' });
      expect(await deliverMessage(deliveryMessage(), { attempt: 1 }, deps)).toMatchObject({
        kind: 'transient-failure',
        cause: { reason: 'access-denied', status, errorType: 'AccessDeniedException' },
      });
    }
    // Not a stale session: the credentials are not refreshed for it.
    expect(rejected).toEqual([]);
  });

  it('treats an AssumeRole refused by STS as access denied', async () => {
    const { fake, deps } = setup();
    const refused = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    fake.responder = () =>
      new CredentialsError('PUT Patient: no credentials to sign with', { cause: refused });
    expect(await deliverMessage(deliveryMessage(), { attempt: 1 }, deps)).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'access-denied' },
    });
  });

  it('treats expired credentials as transient and asks for fresh ones', async () => {
    const { fake, deps, rejected } = setup();
    fake.responder = () => ({ status: 403, latencyMs: 1, errorType: 'ExpiredTokenException' });
    const outcome = await deliverMessage(deliveryMessage(), { attempt: 1 }, deps);
    expect(outcome).toMatchObject({
      kind: 'transient-failure',
      cause: { errorType: 'ExpiredTokenException' },
    });
    expect(rejected).toHaveLength(1);
  });

  it('treats timeouts, connection errors and STS failures as transient', async () => {
    const { fake, deps } = setup();
    for (const [error, reason] of [
      [new HealthLakeTransientError('timeout', 'PUT Patient: no answer in time'), 'timeout'],
      [new HealthLakeTransientError('connection', 'PUT Patient: ECONNRESET'), 'connection'],
      [new CredentialsError('AssumeRole failed'), 'credentials'],
    ] as const) {
      fake.responder = () => error;
      expect(await deliverMessage(deliveryMessage(), { attempt: 1 }, deps)).toMatchObject({
        kind: 'transient-failure',
        cause: { reason },
      });
    }
  });

  it('skips a version older than the ledger’s latest when the subscription delivers the latest only', async () => {
    const { fake, deps } = setup();
    const latest = { versionId: '5', lastUpdated: '2026-01-01T00:00:05Z', deleted: false };
    const outcome = await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 1, latest }, deps);
    expect(outcome).toEqual({ kind: 'stale-skipped', newer: latest, against: 'ledger' });
    expect(fake.calls).toHaveLength(0);
  });

  it('delivers an older version when the newer one in the ledger was enqueued for no endpoint', async () => {
    const { fake, deps } = setup();
    const latest = { versionId: '3', lastUpdated: '2026-01-01T00:00:03Z', deleted: false, endpoints: [] };
    const outcome = await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 1, latest }, deps);
    expect(outcome.kind).toBe('delivered');
    expect(fake.calls[0]?.body).toMatchObject({ meta: { versionId: '2' } });
  });

  it('delivers an older version when the newer one in the ledger goes only to other endpoints', async () => {
    const { deps } = setup();
    const other = 'https://healthlake.us-east-1.amazonaws.com/datastore/ffffffffffffffff/r4/';
    const latest = { versionId: '3', lastUpdated: '2026-01-01T00:00:03Z', deleted: true, endpoints: [other] };
    const outcome = await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 1, latest }, deps);
    expect(outcome.kind).toBe('delivered');
  });

  it('skips an older version when the newer one in the ledger was enqueued for this endpoint too', async () => {
    const { fake, deps } = setup();
    // Spelled differently (host case, no trailing slash): compared in normalised form.
    const spelled = TEST_ENDPOINT.replace('healthlake', 'HealthLake').replace(/\/$/, '');
    const latest = {
      versionId: '3',
      lastUpdated: '2026-01-01T00:00:03Z',
      deleted: false,
      endpoints: [spelled],
    };
    const outcome = await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 1, latest }, deps);
    expect(outcome).toEqual({ kind: 'stale-skipped', newer: latest, against: 'ledger' });
    expect(fake.calls).toHaveLength(0);
  });

  it('still never sends a version older than the one delivered, whatever the ledger’s endpoints', async () => {
    const { fake, deps } = setup();
    const latest = { versionId: '3', lastUpdated: '2026-01-01T00:00:03Z', deleted: false, endpoints: [] };
    const delivered = { versionId: '3', lastUpdated: '2026-01-01T00:00:03Z', deleted: false };
    const message = deliveryMessage({ versionId: '2' });
    expect(await deliverMessage(message, { attempt: 1, latest, delivered }, deps)).toMatchObject({
      kind: 'stale-skipped',
      against: 'delivered',
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('delivers every version in order when the subscription does not ask for the latest only', async () => {
    const { deps } = setup();
    const latest = { versionId: '5', lastUpdated: '2026-01-01T00:00:05Z', deleted: false };
    const message = deliveryMessage({ versionId: '2', subscription: { deliverLatestVersion: false } });
    expect((await deliverMessage(message, { attempt: 1, latest }, deps)).kind).toBe('delivered');
  });

  it('never sends a version older than the one already delivered to the endpoint', async () => {
    const { fake, deps } = setup();
    const delivered = { versionId: '5', lastUpdated: '2026-01-01T00:00:05Z', deleted: false };
    const message = deliveryMessage({ versionId: '2', subscription: { deliverLatestVersion: false } });
    expect(await deliverMessage(message, { attempt: 1, delivered }, deps)).toMatchObject({
      kind: 'stale-skipped',
      against: 'delivered',
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('skips an upsert older than a recorded delete, and a delete older than a re-creation', async () => {
    const { deps } = setup();
    const deleted = { versionId: '4', lastUpdated: '2026-01-01T00:00:04Z', deleted: true };
    expect(
      (await deliverMessage(deliveryMessage({ versionId: '3' }), { attempt: 1, latest: deleted }, deps)).kind,
    ).toBe('stale-skipped');
    const recreated = { versionId: '6', lastUpdated: '2026-01-01T00:00:06Z', deleted: false };
    const oldDelete = deliveryMessage({ operation: 'delete', versionId: '4' });
    expect((await deliverMessage(oldDelete, { attempt: 1, latest: recreated }, deps)).kind).toBe(
      'stale-skipped',
    );
  });

  it('strips meta.versionId when the subscription asks for strip-version-ids', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({ versionId: '7', subscription: { stripVersionIds: true } });
    await deliverMessage(message, { attempt: 1 }, deps);
    const body = fake.calls[0]?.body as { meta: Record<string, unknown> };
    expect(body.meta).toEqual({ lastUpdated: '2026-01-01T00:00:00.000Z' });
  });

  it('fetches an S3 payload, checks its sha256 and delivers it', async () => {
    const { fake, deps } = setup();
    const text = JSON.stringify({ resourceType: 'Patient', id: 'p1', meta: { versionId: '1' } });
    s3.on(GetObjectCommand, { Bucket: 'payloads', Key: 'k1' }).resolves({ Body: s3Body(text) });
    const message = deliveryMessage({
      payload: {
        kind: 's3',
        bucket: 'payloads',
        key: 'k1',
        bytes: Buffer.byteLength(text),
        sha256: createHash('sha256').update(text).digest('hex'),
      },
    });
    expect((await deliverMessage(message, { attempt: 1 }, deps)).kind).toBe('delivered');
    expect(fake.calls[0]?.body).toEqual(JSON.parse(text));
  });

  it('fails terminally when the S3 payload is missing or does not match its hash', async () => {
    const { fake, deps } = setup();
    const payload = {
      kind: 's3' as const,
      bucket: 'payloads',
      key: 'gone',
      bytes: 2,
      sha256: 'a'.repeat(64),
    };
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(new NoSuchKey({ message: 'NoSuchKey', $metadata: {} }));
    expect(await deliverMessage(deliveryMessage({ payload }), { attempt: 1 }, deps)).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'payload-missing' },
    });
    s3.on(GetObjectCommand, { Key: 'bad' }).resolves({ Body: s3Body('{}') });
    expect(
      await deliverMessage(deliveryMessage({ payload: { ...payload, key: 'bad' } }), { attempt: 1 }, deps),
    ).toMatchObject({ kind: 'terminal-failure', cause: { reason: 'payload-corrupt' } });
    expect(fake.calls).toHaveLength(0);
  });

  it('retries when S3 cannot be read for another reason', async () => {
    const { deps } = setup();
    s3.on(GetObjectCommand).rejects(new Error('SlowDown'));
    const payload = { kind: 's3' as const, bucket: 'payloads', key: 'k', bytes: 2, sha256: 'a'.repeat(64) };
    expect((await deliverMessage(deliveryMessage({ payload }), { attempt: 1 }, deps)).kind).toBe(
      'transient-failure',
    );
  });

  it('refuses a payload whose resourceType or id differ from the message', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({
      payload: { kind: 'inline', resource: { resourceType: 'Patient', id: 'someone-else' } },
    });
    expect((await deliverMessage(message, { attempt: 1 }, deps)).kind).toBe('terminal-failure');
    expect(fake.calls).toHaveLength(0);
  });
});
