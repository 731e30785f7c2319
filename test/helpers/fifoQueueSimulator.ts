import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { startBatchDelivery } from '../../shared/delivery/deliverBatch.js';
import type { BatchDeliveryConfig, BatchDeliveryDeps } from '../../shared/delivery/batchTypes.js';
import { InMemoryDeliveredVersions } from '../../shared/versions/DeliveredVersions.js';
import { InMemoryVersionLedger } from '../../shared/versions/InMemoryVersionLedger.js';

/** The simulated queue's DLQ (FIFO, so dead letters keep their group). */
export const SIM_DLQ = 'https://sqs.us-east-1.amazonaws.com/000000000000/sim-dlq.fifo';

/** Deliverer dependencies for a simulation: in-memory state, silent telemetry, and `overrides`. */
export const simulationDeps = (
  overrides: Omit<Partial<BatchDeliveryDeps>, 'config'> & Pick<BatchDeliveryDeps, 'healthLake'>,
  config: Omit<BatchDeliveryConfig, 'queueUrl' | 'deadLetterQueueUrl'>,
): Omit<BatchDeliveryDeps, 'sqs' | 'now'> => ({
  ledger: new InMemoryVersionLedger(),
  delivered: new InMemoryDeliveredVersions(),
  telemetry: { settled: () => undefined, warn: () => undefined },
  ...overrides,
  config: { queueUrl: 'sim', deadLetterQueueUrl: SIM_DLQ, ...config },
});

interface SimMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly body: string;
  readonly seq: number;
  receives: number;
  /** Simulated epoch ms at which it can be received again. */
  visibleAt: number;
  receiptHandle: string;
}

/** Where a message ended: delivered and deleted, or dead-lettered (by the deliverer or by the redrive). */
export interface SimDeadLetter {
  readonly messageId: string;
  readonly groupId: string;
  readonly by: 'deliverer' | 'redrive';
}

/**
 * An SQS FIFO queue with a redrive policy, and the Lambda event source mapping that feeds it to
 * `startBatchDelivery`, on a simulated clock, so hours of retries run in milliseconds. FIFO rules as
 * SQS applies them: a group whose message is in flight returns nothing more; a batch holds as many of
 * one group's messages as it can, in order, oldest group first; every receive counts (`ApproximateReceiveCount`); a receive past
 * `maxReceiveCount` moves the message to the DLQ instead. Records not reported failed are deleted.
 */
export class FifoQueueSimulator {
  public now = Date.parse('2026-01-01T00:00:00Z');
  public readonly deadLetters: SimDeadLetter[] = [];
  public readonly deleted: string[] = [];
  private readonly messages: SimMessage[] = [];
  private seq = 0;
  private receipts = 0;

  public constructor(
    private readonly options: {
      readonly maxReceiveCount: number;
      readonly visibilityTimeoutSeconds: number;
      readonly batchSize?: number;
    },
  ) {}

  public send(groupId: string, body: string): void {
    this.seq += 1;
    this.messages.push({
      messageId: `m-${this.seq}`,
      groupId,
      body,
      seq: this.seq,
      receives: 0,
      visibleAt: this.now,
      receiptHandle: '',
    });
  }

  public get depth(): number {
    return this.messages.length;
  }

  /** The SQS client the deliverer calls: visibility changes and DLQ sends, against this queue. */
  public readonly sqs: Pick<SQSClient, 'send'> = {
    send: (async (command: unknown) => {
      if (command instanceof ChangeMessageVisibilityBatchCommand) {
        for (const entry of command.input.Entries ?? []) {
          const message = this.messages.find((m) => m.receiptHandle === entry.ReceiptHandle);
          if (message) message.visibleAt = this.now + (entry.VisibilityTimeout ?? 0) * 1000;
        }
        return { Successful: [], Failed: [] };
      }
      if (command instanceof SendMessageCommand) {
        const original = this.messages.find((m) => m.body === command.input.MessageBody);
        this.deadLetters.push({
          messageId: original?.messageId ?? '?',
          groupId: command.input.MessageGroupId ?? '',
          by: 'deliverer',
        });
        return { MessageId: `dlq-${this.deadLetters.length}` };
      }
      throw new Error(`FifoQueueSimulator: unexpected command ${String(command)}`);
    }) as Pick<SQSClient, 'send'>['send'],
  };

  /** One ReceiveMessage as SQS FIFO answers it (redriving messages past their receive limit). */
  public receive(): SQSRecord[] {
    const batchSize = this.options.batchSize ?? 10;
    const blocked = new Set(this.messages.filter((m) => m.visibleAt > this.now).map((m) => m.groupId));
    const batch: SimMessage[] = [];
    // SQS returns as many messages of one group as it can, group after group (oldest group first).
    const ordered = [...this.messages].sort((a, b) => a.seq - b.seq);
    const groups = [...new Set(ordered.map((m) => m.groupId))].filter((group) => !blocked.has(group));
    for (const group of groups) {
      for (const message of ordered.filter((m) => m.groupId === group)) {
        if (batch.length >= batchSize) break;
        if (message.receives >= this.options.maxReceiveCount) {
          this.remove(message);
          this.deadLetters.push({ messageId: message.messageId, groupId: message.groupId, by: 'redrive' });
          continue;
        }
        batch.push(message);
      }
      if (batch.length >= batchSize) break;
    }
    return batch.map((message) => {
      message.receives += 1;
      message.visibleAt = this.now + this.options.visibilityTimeoutSeconds * 1000;
      this.receipts += 1;
      message.receiptHandle = `r-${this.receipts}`;
      return {
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receives),
          SentTimestamp: String(this.now),
          SenderId: 'sim',
          ApproximateFirstReceiveTimestamp: String(this.now),
          MessageGroupId: message.groupId,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:sim.fifo',
        awsRegion: 'us-east-1',
      };
    });
  }

  /**
   * Runs the deliverer until the queue is empty or `untilMs` of simulated time has passed: receive a
   * batch, deliver it, delete what was not reported failed; when nothing is receivable, jump the clock
   * to the next message's visibility.
   */
  public async run(deps: Omit<BatchDeliveryDeps, 'sqs' | 'now'>, untilMs: number): Promise<void> {
    const end = this.now + untilMs;
    const full: BatchDeliveryDeps = { ...deps, sqs: this.sqs, now: () => this.now };
    while (this.messages.length > 0 && this.now <= end) {
      const records = this.receive();
      if (records.length === 0) {
        const next = Math.min(...this.messages.map((m) => m.visibleAt));
        this.now = Math.max(this.now + 1000, next);
        continue;
      }
      const batch = startBatchDelivery(records, full);
      for (const record of records) {
        const failed = await batch.settle(record).then(
          () => false,
          () => true,
        );
        const message = this.messages.find((m) => m.messageId === record.messageId);
        if (!failed && message) {
          this.remove(message);
          this.deleted.push(message.messageId);
        }
      }
      await batch.done;
      this.now += 100; // an invocation's own time
    }
  }

  private remove(message: SimMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }
}
