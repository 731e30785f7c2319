import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { retryDelaySeconds, type BackoffOptions } from '../delivery/retryDelay.js';
import { deadLetterInput } from '../messages/deadLetter.js';
import { writeSqlBatch, type SqlRecord, type SqlSettlement, type SqlWriterDeps } from './writeSqlBatch.js';

/** What the SQL writer's batch needs beyond writing: its queues, the retry timing, a warning sink. */
export interface SqlBatchDeps extends SqlWriterDeps {
  readonly sqs: Pick<SQSClient, 'send'>;
  /** The SQL queue the records came from (ChangeMessageVisibility). */
  readonly queueUrl: string;
  /** Its FIFO DLQ: records that cannot be written, with their cause. */
  readonly deadLetterQueueUrl: string;
  readonly backoff?: BackoffOptions;
  /** Jitter source, for tests. @default Math.random */
  readonly random?: () => number;
  /** Told when SQS refuses a visibility change or a dead letter (no content, the error's name only). */
  readonly warn: NonNullable<SqlWriterDeps['warn']>;
}

/** A record's final state: written (or nothing to write), dead-lettered with its cause, or to retry. */
export type SqlRecordOutcome =
  | { readonly record: SQSRecord; readonly final: 'done'; readonly settlement: SqlSettlement }
  | { readonly record: SQSRecord; readonly final: 'dead-lettered'; readonly settlement: SqlSettlement }
  | {
      readonly record: SQSRecord;
      readonly final: 'retry';
      readonly settlement: SqlSettlement;
      readonly retryDelaySeconds: number;
    };

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'unknown error');

/** The queue record as writeSqlBatch reads it: its FIFO group and receive count. */
export const toSqlRecord = (record: SQSRecord): SqlRecord => ({
  messageId: record.messageId,
  body: record.body,
  groupId: record.attributes.MessageGroupId ?? record.messageId,
  attempt: Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1),
});

/**
 * Writes a batch from the SQL queue (writeSqlBatch) and carries out each settlement: a dead letter is
 * sent to the DLQ with its cause (the body unchanged, so a redrive re-sends it), a record to retry gets
 * its backoff as its new visibility timeout. A dead letter SQS refuses is retried instead, so nothing is
 * dropped; a refused visibility change leaves the queue's own timeout. Returns one outcome per record,
 * in order, for the partial batch response (`retry` ones are reported as failures).
 *
 * @example
 * const outcomes = await settleSqlBatch(event.Records, deps);
 */
export const settleSqlBatch = async (
  records: readonly SQSRecord[],
  deps: SqlBatchDeps,
): Promise<SqlRecordOutcome[]> => {
  const queued = records.map(toSqlRecord);
  const settlements = await writeSqlBatch(queued, deps);
  const delayOf = (attempt: number) => retryDelaySeconds(attempt, deps.backoff, undefined, deps.random);
  const outcomes = await Promise.all(
    settlements.map(async (settlement, index): Promise<SqlRecordOutcome> => {
      const record = records[index] as SQSRecord;
      const { groupId } = queued[index] as SqlRecord;
      if (settlement.disposition === 'done') return { record, final: 'done', settlement };
      if (settlement.disposition === 'dead-letter') {
        try {
          await deps.sqs.send(
            new SendMessageCommand(
              deadLetterInput({
                queueUrl: deps.deadLetterQueueUrl,
                body: record.body,
                groupId,
                kind: settlement.kind,
                cause: settlement.cause,
                summary: settlement.summary,
              }),
            ),
          );
          return { record, final: 'dead-lettered', settlement };
        } catch (error) {
          deps.warn('Could not send a failed record to the SQL DLQ; it will be retried', {
            messageId: record.messageId,
            error: errorName(error),
          });
        }
      }
      // The backoff follows the attempts counted (a held-back record: its receives).
      return { record, final: 'retry', settlement, retryDelaySeconds: delayOf(settlement.cause.attempt) };
    }),
  );
  const retries = outcomes.filter((outcome) => outcome.final === 'retry');
  // ChangeMessageVisibilityBatch takes 10 entries, a FIFO batch holds at most 10 records.
  for (let start = 0; start < retries.length; start += 10) {
    const chunk = retries.slice(start, start + 10);
    try {
      await deps.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: deps.queueUrl,
          Entries: chunk.map((outcome, index) => ({
            Id: String(index),
            ReceiptHandle: outcome.record.receiptHandle,
            VisibilityTimeout: outcome.retryDelaySeconds,
          })),
        }),
      );
    } catch (error) {
      // The retry still happens, after the queue's own visibility timeout.
      deps.warn('Could not set the retry delay of failed SQL records', {
        records: chunk.length,
        error: errorName(error),
      });
    }
  }
  return outcomes;
};
