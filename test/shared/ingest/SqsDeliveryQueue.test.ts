import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_INLINE_MESSAGE_BYTES } from '../../../shared/messages/deadLetter.js';
import { EnqueueError } from '../../../shared/ingest/errors.js';
import { SqsDeliveryQueue } from '../../../shared/ingest/SqsDeliveryQueue.js';
import {
  DELIVERY_MESSAGE_SCHEMA,
  deduplicationId,
  parseDeliveryMessage,
} from '../../../shared/messages/deliveryMessage.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { ENDPOINT_A, patient } from '../../helpers/ingestFakes.js';

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);

const message = (id: string, extra: Record<string, unknown> = {}): DeliveryMessage => ({
  schema: DELIVERY_MESSAGE_SCHEMA,
  operation: 'upsert',
  resourceType: 'Patient',
  id,
  versionId: '1',
  lastUpdated: '2025-01-01T00:00:00.000Z',
  subscription: { id: 'sub-1', endpoint: ENDPOINT_A, stripVersionIds: false, deliverLatestVersion: true },
  trace: { ingestedAt: '2025-01-01T00:00:00.000Z', requestId: 'r1', source: 'ingest' },
  payload: { kind: 'inline', resource: patient({ id, ...extra }) as Record<string, unknown> },
});

const sentEntries = () =>
  sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);

describe('Class: SqsDeliveryQueue', () => {
  afterEach(() => {
    sqsMock.reset();
    s3Mock.reset();
  });

  it('sends FIFO entries in batches of at most 10 with group = resource and data store, and the dedup id', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'https://sqs/q.fifo' });
    const messages = Array.from({ length: 23 }, (_, index) => message(`p${index}`));
    await queue.enqueue(messages);
    const batches = sentEntries();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches[0]?.[0]).toMatchObject({
      MessageGroupId: expect.stringMatching(/^Patient\/p0@[0-9a-f]{12}$/),
      MessageDeduplicationId: deduplicationId(messages[0] as DeliveryMessage),
    });
  });

  it('keeps each batch under 1 MiB of bodies', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({});
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q' });
    const big = 'x'.repeat(300_000);
    await queue.enqueue(
      Array.from({ length: 7 }, (_, index) => message(`p${index}`, { text: { div: big } })),
    );
    for (const batch of sentEntries()) {
      const bytes = batch.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''), 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
    }
    expect(sentEntries().flat()).toHaveLength(7);
  });

  it('retries only the Failed entries, then succeeds', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }] })
      .resolves({});
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q', backoffMs: 1 });
    await queue.enqueue([message('a'), message('b'), message('c')]);
    const batches = sentEntries();
    expect(batches).toHaveLength(2);
    expect(batches[1]?.map((entry) => entry.MessageGroupId)).toEqual([
      expect.stringMatching(/^Patient\/b@[0-9a-f]{12}$/),
    ]);
  });

  it('throws EnqueueError (503) when an entry keeps failing', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', Code: 'ServiceUnavailable', SenderFault: false }] });
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q', attempts: 3, backoffMs: 1 });
    const error = await queue.enqueue([message('a'), message('b')]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnqueueError);
    expect((error as EnqueueError).outcome.id).toBe('503');
    expect(sentEntries()).toHaveLength(3);
  });

  it('sends a single message with SendMessage, keeping group and dedup id', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: '1' });
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q' });
    const single = message('solo');
    await queue.enqueue([single]);
    expect(sentEntries()).toHaveLength(0);
    const [call] = sqsMock.commandCalls(SendMessageCommand);
    expect(call?.args[0].input).toMatchObject({
      QueueUrl: 'q',
      MessageGroupId: expect.stringMatching(/^Patient\/solo@[0-9a-f]{12}$/),
      MessageDeduplicationId: deduplicationId(single),
    });
    expect(parseDeliveryMessage(call?.args[0].input.MessageBody ?? '')).toEqual(single);
  });

  it('retries a refused single message, then throws EnqueueError (503)', async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q', attempts: 3, backoffMs: 1 });
    const error = await queue.enqueue([message('a')]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnqueueError);
    expect((error as EnqueueError).outcome.id).toBe('503');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(3);
  });

  it('stores an oversized resource in S3 once, encrypted, and sends a reference with its sha256', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const queue = new SqsDeliveryQueue({
      sqs: new SQSClient({}),
      queueUrl: 'q',
      s3: new S3Client({}),
      bucket: 'payloads',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/connector',
      maxMessageBytes: 2_000,
    });
    const large = message('big', { text: { status: 'generated', div: 'y'.repeat(5_000) } });
    const otherEndpoint = {
      ...large,
      subscription: {
        ...large.subscription,
        id: 'sub-2',
        endpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/bbbb/r4/',
      },
    };
    await queue.enqueue([large, otherEndpoint]);
    const puts = s3Mock.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'payloads',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/connector',
    });
    const stored = String(input?.Body);
    const sent = sentEntries()
      .flat()
      .map((entry) => parseDeliveryMessage(entry.MessageBody ?? ''));
    expect(sent).toHaveLength(2);
    expect(sent[0]?.payload).toEqual({
      kind: 's3',
      bucket: 'payloads',
      key: input?.Key,
      bytes: Buffer.byteLength(stored),
      sha256: createHash('sha256').update(stored).digest('hex'),
    });
  });

  it('keeps a message inline up to the threshold that leaves room for a dead-letter cause, not up to 1 MiB', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const queue = new SqsDeliveryQueue({
      sqs: new SQSClient({}),
      queueUrl: 'q',
      s3: new S3Client({}),
      bucket: 'p',
    });
    const sized = (bytes: number) => {
      const base = message('sized', { text: { status: 'generated', div: '' } });
      const pad = bytes - Buffer.byteLength(JSON.stringify(base));
      return message('sized', { text: { status: 'generated', div: 'y'.repeat(pad) } });
    };
    await queue.enqueue([sized(MAX_INLINE_MESSAGE_BYTES)]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    const inline = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '';
    expect(Buffer.byteLength(inline)).toBe(MAX_INLINE_MESSAGE_BYTES);
    // One byte more, still far below 1 MiB: stored in S3, so its dead letter could carry the cause.
    await queue.enqueue([sized(MAX_INLINE_MESSAGE_BYTES + 1)]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('fails the write when a resource is oversized and no bucket is configured', async () => {
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q', maxMessageBytes: 500 });
    await expect(
      queue.enqueue([message('big', { text: { div: 'z'.repeat(1_000) } })]),
    ).rejects.toBeInstanceOf(EnqueueError);
    expect(sentEntries()).toHaveLength(0);
  });
});

describe('Class: SqsDeliveryQueue ordering', () => {
  afterEach(() => sqsMock.reset());

  it('sends batches one after another when a request carries several versions of one resource', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return {};
    });
    const queue = new SqsDeliveryQueue({ sqs: new SQSClient({}), queueUrl: 'q' });
    const many = Array.from({ length: 30 }, (_, index) => message(`p${index}`));
    await queue.enqueue(many);
    expect(maxInFlight).toBeGreaterThan(1);
    maxInFlight = 0;
    await queue.enqueue([...many, { ...message('p0'), versionId: '2' }]);
    expect(maxInFlight).toBe(1);
    const last = sentEntries().at(-1)?.at(-1);
    expect(parseDeliveryMessage(last?.MessageBody ?? '').versionId).toBe('2');
  });
});
