import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_INLINE_MESSAGE_BYTES } from '../messages/deadLetter.js';
import { deduplicationId, messageGroupId } from '../messages/deliveryMessage.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { INGEST_DEFAULTS } from './constants.js';
import { EnqueueError } from './errors.js';

/** Puts delivery messages on the delivery queue; resolves only when every one is accepted. */
export interface DeliveryQueue {
  enqueue(messages: readonly DeliveryMessage[]): Promise<void>;
}

export interface SqsDeliveryQueueOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** Large payloads: S3 client and bucket. Without them an oversized message fails the write. */
  readonly s3?: Pick<S3Client, 'send'>;
  readonly bucket?: string;
  /** Server-side encryption of stored payloads (default `aws:kms`). */
  readonly serverSideEncryption?: 'aws:kms' | 'AES256';
  readonly kmsKeyId?: string;
  /**
   * Largest message body sent inline, bytes. @default MAX_INLINE_MESSAGE_BYTES (SQS's 1 MiB less
   * room for a dead letter's cause attributes)
   */
  readonly maxMessageBytes?: number;
  /** Attempts for entries reported as `Failed` (default 4), and the base backoff, ms (default 50). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** SendMessageBatch calls in flight at once (default 8). */
  readonly sendConcurrency?: number;
}

/**
 * The SQS FIFO delivery queue: message group = the resource (`Type/id`), deduplication id from
 * (endpoint, resource, version, operation). Resources whose message would exceed the SQS limit are
 * stored in S3 (encrypted, sha256 recorded) and the message carries the reference. Sends with
 * `SendMessageBatch` (10 entries and 1 MiB per call; `SendMessage` for a single message) and retries
 * every `Failed` entry (or refused single message) with backoff.
 *
 * @example
 * const queue = new SqsDeliveryQueue({ sqs, queueUrl, s3, bucket });
 * await queue.enqueue(messages); // throws EnqueueError when SQS keeps refusing an entry
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly options: SqsDeliveryQueueOptions;
  private readonly maxMessageBytes: number;

  public constructor(options: SqsDeliveryQueueOptions) {
    this.options = options;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_INLINE_MESSAGE_BYTES;
  }

  public async enqueue(messages: readonly DeliveryMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const stored = new Map<DeliveryMessage['payload'], Promise<DeliveryMessage['payload']>>();
    const entries = await Promise.all(
      messages.map(async (message) => {
        let body = JSON.stringify(message);
        let bytes = Buffer.byteLength(body);
        if (bytes > this.maxMessageBytes && message.payload?.kind === 'inline') {
          // One object per resource version, whichever endpoints it goes to.
          let pending = stored.get(message.payload);
          if (!pending) {
            pending = this.store(message);
            stored.set(message.payload, pending);
          }
          body = JSON.stringify({ ...message, payload: await pending });
          bytes = Buffer.byteLength(body);
        }
        const entry: SendMessageBatchRequestEntry = {
          Id: '',
          MessageBody: body,
          MessageGroupId: messageGroupId(message),
          MessageDeduplicationId: deduplicationId(message),
        };
        return { entry, bytes };
      }),
    );
    if (entries.length === 1) {
      // The common single-resource write: SendMessage costs less CPU than a batch of one.
      await this.sendOne((entries[0] as { entry: SendMessageBatchRequestEntry }).entry);
      return;
    }
    const groups = batches(entries);
    if (carriesSeveralVersionsOfOneResource(messages)) {
      // FIFO order between versions of one resource is the send order: keep it.
      for (const batch of groups) await this.sendBatch(batch);
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < groups.length) await this.sendBatch(groups[next++] as SendMessageBatchRequestEntry[]);
    };
    const concurrency = Math.min(
      this.options.sendConcurrency ?? INGEST_DEFAULTS.sendConcurrency,
      groups.length,
    );
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private async store(message: DeliveryMessage): Promise<DeliveryMessage['payload']> {
    const { s3, bucket } = this.options;
    if (!s3 || !bucket) {
      throw new EnqueueError(
        `a ${message.resourceType} exceeds the ${this.maxMessageBytes}-byte message limit and no payload bucket is configured`,
      );
    }
    const json = JSON.stringify(message.payload?.kind === 'inline' ? message.payload.resource : null);
    const sha256 = createHash('sha256').update(json).digest('hex');
    const key = `payloads/${message.resourceType}/${message.id}/${sha256}.json`;
    const sse = this.options.serverSideEncryption ?? 'aws:kms';
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: json,
        ContentType: 'application/fhir+json',
        ServerSideEncryption: sse,
        ...(sse === 'aws:kms' && this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
      }),
    );
    return { kind: 's3', bucket, key, bytes: Buffer.byteLength(json), sha256 };
  }

  /** One message; a refusal is retried like a `Failed` batch entry (after the SDK's own retries). */
  private async sendOne(entry: SendMessageBatchRequestEntry): Promise<void> {
    const attempts = this.options.attempts ?? INGEST_DEFAULTS.enqueueAttempts;
    let lastCode = 'unknown';
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) await this.backoff(attempt);
      try {
        await this.options.sqs.send(
          new SendMessageCommand({
            QueueUrl: this.options.queueUrl,
            MessageBody: entry.MessageBody,
            MessageGroupId: entry.MessageGroupId,
            MessageDeduplicationId: entry.MessageDeduplicationId,
          }),
        );
        return;
      } catch (error) {
        lastCode = error instanceof Error ? error.name : lastCode;
      }
    }
    throw new EnqueueError(
      `1 delivery message was refused by the queue after ${attempts} attempts (${lastCode})`,
    );
  }

  /** Exponential backoff with jitter before retry `attempt` (1-based). */
  private backoff(attempt: number): Promise<void> {
    const ceiling = (this.options.backoffMs ?? INGEST_DEFAULTS.enqueueBackoffMs) * 2 ** (attempt - 1);
    return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
  }

  private async sendBatch(batch: readonly SendMessageBatchRequestEntry[]): Promise<void> {
    const attempts = this.options.attempts ?? INGEST_DEFAULTS.enqueueAttempts;
    let pending = batch.map((entry, index) => ({ ...entry, Id: `m${index}` }));
    let lastCode = 'unknown';
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) await this.backoff(attempt);
      const result = await this.options.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: pending }),
      );
      const failed = new Set((result.Failed ?? []).map((failure) => failure.Id));
      if (failed.size === 0) return;
      lastCode = result.Failed?.[0]?.Code ?? lastCode;
      pending = pending.filter((entry) => failed.has(entry.Id));
    }
    throw new EnqueueError(
      `${pending.length} delivery message(s) were refused by the queue after ${attempts} attempts (${lastCode})`,
    );
  }
}

const carriesSeveralVersionsOfOneResource = (messages: readonly DeliveryMessage[]): boolean => {
  const versions = new Map<string, string>();
  for (const message of messages) {
    const key = messageGroupId(message);
    const seen = versions.get(key);
    if (seen !== undefined && seen !== `${message.operation}/${message.versionId}`) return true;
    versions.set(key, `${message.operation}/${message.versionId}`);
  }
  return false;
};

/** Groups entries into SendMessageBatch calls of at most 10 entries and 1 MiB of bodies. */
const batches = (
  entries: readonly { entry: SendMessageBatchRequestEntry; bytes: number }[],
): SendMessageBatchRequestEntry[][] => {
  const result: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let currentBytes = 0;
  for (const { entry, bytes } of entries) {
    if (
      current.length > 0 &&
      (current.length >= INGEST_DEFAULTS.sqsBatchEntries ||
        currentBytes + bytes > INGEST_DEFAULTS.sqsBatchBytes)
    ) {
      result.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
  }
  if (current.length > 0) result.push(current);
  return result;
};
