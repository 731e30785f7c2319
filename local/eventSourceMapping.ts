import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { timeInvocation } from './invocationReports.js';
import { localLambdaContext } from './lambdaContext.js';

/** A Lambda handler for SQS events (with or without ReportBatchItemFailures). */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EventSourceMappingOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** The queue ARN for `eventSourceARN`; looked up with GetQueueAttributes when omitted. */
  readonly queueArn?: string;
  readonly handler: SqsHandler;
  /** Records per batch, 1-10 (the FIFO limit). @default 10 */
  readonly batchSize?: number;
  /** ReceiveMessage long-poll wait, seconds; short, so `stop()` is quick. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Parallel pollers, like MaximumConcurrency. @default 1 */
  readonly concurrency?: number;
  /** Function name in the Context. @default 'local-function' */
  readonly functionName?: string;
  /** Invocation timeout reported by `getRemainingTimeInMillis`. @default 60_000 */
  readonly timeoutMs?: number;
  /** Called with poller errors (receive/delete failures, handler exceptions). @default ignore */
  readonly onError?: (error: unknown) => void;
}

export interface EventSourceMappingStats {
  batches: number;
  records: number;
  /** Records reported failed (or all records of a batch whose invocation threw). */
  failed: number;
  deleted: number;
}

const region = (arn: string): string => arn.split(':')[3] ?? 'us-east-1';

const toMessageAttributes = (message: Message): SQSMessageAttributes => {
  const attributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return attributes;
};

/** An SQS message as the Lambda event source mapping hands it to a function. */
export const toSqsRecord = (message: Message, queueArn: string): SQSRecord => {
  const system = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(system.SequenceNumber === undefined ? {} : { SequenceNumber: system.SequenceNumber }),
      ...(system.MessageGroupId === undefined ? {} : { MessageGroupId: system.MessageGroupId }),
      ...(system.MessageDeduplicationId === undefined
        ? {}
        : { MessageDeduplicationId: system.MessageDeduplicationId }),
    },
    messageAttributes: toMessageAttributes(message),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region(queueArn),
  };
};

/**
 * Behaves like the Lambda SQS event source mapping, for local mode and tests: pollers receive batches,
 * invoke the handler with a real `SQSEvent`, delete the records it did not report in
 * `batchItemFailures`, and leave the failed ones to their visibility timeout (so the queue's redrive
 * policy moves them to the DLQ after `maxReceiveCount`). A handler error or a malformed response fails
 * the whole batch, as Lambda does.
 *
 * @example
 * const esm = new EventSourceMapping({ sqs, queueUrl, handler, concurrency: 2 });
 * await esm.start();
 * await esm.idle();
 * await esm.stop();
 */
export class EventSourceMapping {
  public readonly stats: EventSourceMappingStats = { batches: 0, records: 0, failed: 0, deleted: 0 };
  private readonly batchSize: number;
  private readonly waitTimeSeconds: number;
  private readonly concurrency: number;
  private queueArn: string | undefined;
  private running = false;
  private pollers: Promise<void>[] = [];
  private abort = new AbortController();
  private inFlight = 0;
  /** Pollers whose latest receive came back empty. */
  private readonly quiet = new Set<number>();
  private idleWaiters: (() => void)[] = [];

  public constructor(private readonly options: EventSourceMappingOptions) {
    this.batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.queueArn = options.queueArn;
  }

  /** `Enabled` while polling, `Disabled` after `pause()`/`stop()` (the states Lambda's mappings report). */
  public get state(): 'Enabled' | 'Disabled' {
    return this.running ? 'Enabled' : 'Disabled';
  }

  /** Starts the pollers (idempotent). */
  public async start(): Promise<void> {
    if (this.running) return;
    if (!this.queueArn) {
      const { Attributes } = await this.options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      this.queueArn = Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:local`;
    }
    this.running = true;
    this.abort = new AbortController();
    this.quiet.clear();
    this.pollers = Array.from({ length: this.concurrency }, (_, index) => this.poll(index));
  }

  /**
   * Stops polling like a disabled Lambda mapping: the receives in flight complete (at most
   * `waitTimeSeconds`) and their batches are handled, so no message is left in flight; `start()` resumes.
   */
  public async pause(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all(this.pollers);
    this.pollers = [];
    this.releaseIdleWaiters();
  }

  /** Stops polling and waits for the batches in flight to finish (their results are applied). */
  public async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await Promise.all(this.pollers);
    this.pollers = [];
    this.releaseIdleWaiters();
  }

  /**
   * Resolves when every poller's last receive came back empty and no batch is in flight (messages
   * waiting out a visibility timeout are not receivable, so they do not count), or when stopped.
   */
  public idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.running || (this.inFlight === 0 && this.quiet.size === this.concurrency);
  }

  private releaseIdleWaiters(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async poll(index: number): Promise<void> {
    while (this.running) {
      let messages: Message[];
      try {
        const response = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = response.Messages ?? [];
      } catch (error) {
        if (!this.running) break;
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (messages.length === 0) {
        this.quiet.add(index);
        this.releaseIdleWaiters();
        continue;
      }
      this.quiet.clear();
      this.inFlight += 1;
      try {
        await this.invoke(messages);
      } finally {
        this.inFlight -= 1;
      }
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const queueArn = this.queueArn ?? '';
    const records = messages.map((message) => toSqsRecord(message, queueArn));
    this.stats.batches += 1;
    this.stats.records += records.length;
    let failedIds: Set<string>;
    try {
      const context = this.context();
      const response = await timeInvocation(context.functionName, () =>
        this.options.handler({ Records: records }, context),
      );
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      // Lambda fails the whole batch when the response names a record that is not in it.
      const known = new Set(records.map((record) => record.messageId));
      if ([...failedIds].some((id) => !id || !known.has(id))) failedIds = known;
    } catch (error) {
      this.options.onError?.(error);
      failedIds = new Set(records.map((record) => record.messageId));
    }
    this.stats.failed += failedIds.size;
    const done = records.filter((record) => !failedIds.has(record.messageId));
    for (let start = 0; start < done.length; start += 10) {
      const chunk = done.slice(start, start + 10);
      try {
        const result = await this.options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        );
        this.stats.deleted += result.Successful?.length ?? 0;
        if (result.Failed && result.Failed.length > 0) {
          this.options.onError?.(new Error(`DeleteMessageBatch failed for ${result.Failed.length} records`));
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private context(): Context {
    return localLambdaContext({
      functionName: this.options.functionName ?? 'local-function',
      requestId: randomUUID(),
      timeoutMs: this.options.timeoutMs ?? 60_000,
      region: region(this.queueArn ?? ''),
    });
  }
}
