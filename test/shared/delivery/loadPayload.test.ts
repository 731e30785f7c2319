import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PayloadError } from '../../../shared/delivery/errors.js';
import { lazyS3Client } from '../../../shared/delivery/lazyS3Client.js';
import { loadPayload } from '../../../shared/delivery/loadPayload.js';

const s3 = mockClient(S3Client);

/** The part of an S3 body stream loadPayload uses. */
const s3Body = (text: string) =>
  ({ transformToByteArray: async () => new Uint8Array(Buffer.from(text)) }) as unknown as NonNullable<
    GetObjectCommandOutput['Body']
  >;

/** An S3 payload reference whose size and sha256 describe `text`. */
const reference = (text: string, key = 'k1') => ({
  kind: 's3' as const,
  bucket: 'payloads',
  key,
  bytes: Buffer.byteLength(text),
  sha256: createHash('sha256').update(text).digest('hex'),
});

const client = () => new S3Client({ region: 'us-east-1' });

/** The PayloadError loadPayload rejects with, as reason and message. */
const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PayloadError);
  const { reason, message } = error as PayloadError;
  return { reason, message };
};

describe('loadPayload', () => {
  afterEach(() => {
    s3.reset();
  });

  it('returns an inline resource as it is, without S3', async () => {
    const resource = { resourceType: 'Patient', id: 'p1' };
    await expect(loadPayload({ kind: 'inline', resource }, undefined)).resolves.toBe(resource);
  });

  it('reads an S3 payload from its bucket and key', async () => {
    const text = JSON.stringify({ resourceType: 'Patient', id: 'p1' });
    s3.on(GetObjectCommand, { Bucket: 'payloads', Key: 'k1' }).resolves({ Body: s3Body(text) });
    await expect(loadPayload(reference(text), client())).resolves.toEqual({
      resourceType: 'Patient',
      id: 'p1',
    });
  });

  it('is unavailable (retried) when no S3 client is configured', async () => {
    expect(await refusal(loadPayload(reference('{}'), undefined))).toEqual({
      reason: 'payload-unavailable',
      message: 'No S3 client configured for S3 payloads',
    });
  });

  it('is missing when the object has no body or does not exist', async () => {
    s3.on(GetObjectCommand, { Key: 'empty' }).resolves({});
    expect(await refusal(loadPayload(reference('{}', 'empty'), client()))).toEqual({
      reason: 'payload-missing',
      message: 'S3 payload object has no body',
    });
    const gone = new NoSuchKey({ message: 'gone', $metadata: {} });
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(gone);
    const error = await loadPayload(reference('{}', 'gone'), client()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'payload-missing', message: 'S3 payload object does not exist' });
    expect((error as Error).cause).toBe(gone);
  });

  it('is unavailable when S3 fails otherwise, keeping the cause', async () => {
    const slowDown = Object.assign(new Error('Please reduce your request rate'), { name: 'SlowDown' });
    s3.on(GetObjectCommand).rejects(slowDown);
    const error = await loadPayload(reference('{}'), client()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      reason: 'payload-unavailable',
      message: 'S3 payload object could not be read',
    });
    expect((error as Error).cause).toBe(slowDown);
  });

  it('is corrupt when the size or the sha256 differs, each on its own', async () => {
    const text = JSON.stringify({ resourceType: 'Patient', id: 'p1' });
    s3.on(GetObjectCommand).resolves({ Body: s3Body(text) });
    const expected = {
      reason: 'payload-corrupt',
      message: 'S3 payload object does not match its size and sha256',
    };
    const good = reference(text);
    expect(await refusal(loadPayload({ ...good, bytes: good.bytes + 1 }, client()))).toEqual(expected);
    expect(await refusal(loadPayload({ ...good, sha256: 'a'.repeat(64) }, client()))).toEqual(expected);
  });

  it('is corrupt when the object is not JSON', async () => {
    const text = '{"resourceType": "Patient", ';
    s3.on(GetObjectCommand).resolves({ Body: s3Body(text) });
    expect(await refusal(loadPayload(reference(text), client()))).toEqual({
      reason: 'payload-corrupt',
      message: 'S3 payload object is not JSON',
    });
  });

  it.each(['null', '[{"resourceType":"Patient"}]', '"Patient"', '42'])(
    'is corrupt when the JSON is not a resource object (%s)',
    async (text) => {
      s3.on(GetObjectCommand).resolves({ Body: s3Body(text) });
      expect(await refusal(loadPayload(reference(text), client()))).toEqual({
        reason: 'payload-corrupt',
        message: 'S3 payload object is not a resource',
      });
    },
  );
});

describe('lazyS3Client', () => {
  afterEach(() => {
    s3.reset();
    vi.restoreAllMocks();
  });

  it('creates the S3 client on the first send and reuses it after', async () => {
    s3.on(GetObjectCommand).resolves({ ContentLength: 2 });
    const lazy = lazyS3Client({ region: 'us-east-1' });
    const command = new GetObjectCommand({ Bucket: 'payloads', Key: 'k1' });
    await expect(lazy.send(command)).resolves.toMatchObject({ ContentLength: 2 });
    await expect(lazy.send(command)).resolves.toMatchObject({ ContentLength: 2 });
    const clients = s3.commandCalls(GetObjectCommand).map((call) => call.thisValue);
    expect(clients).toHaveLength(2);
    expect(clients[0]).toBeInstanceOf(S3Client);
    expect(clients[1]).toBe(clients[0]);
    expect(await (clients[0] as S3Client).config.region()).toBe('us-east-1');
  });

  it('destroys nothing before first use, and the created client after', async () => {
    const destroy = vi.spyOn(S3Client.prototype, 'destroy');
    const lazy = lazyS3Client({ region: 'us-east-1' });
    expect(() => lazy.destroy()).not.toThrow();
    expect(destroy).not.toHaveBeenCalled();
    s3.on(GetObjectCommand).resolves({});
    await lazy.send(new GetObjectCommand({ Bucket: 'payloads', Key: 'k1' }));
    lazy.destroy();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
