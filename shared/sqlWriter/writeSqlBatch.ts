import type { S3Client } from '@aws-sdk/client-s3';
import type { DeliveryAttempts } from '../delivery/deliveryAttempts.js';
import { PayloadError } from '../delivery/errors.js';
import { loadPayload } from '../delivery/loadPayload.js';
import { DeadLetterKind } from '../messages/deadLetter.js';
import { parseDeliveryMessage, type DeliveryMessage } from '../messages/deliveryMessage.js';
import {
  failureCause,
  FailureReason,
  type FailureCause,
  type MessageSummary,
} from '../messages/failureCause.js';
import { applyChanges, type TypeDefinitionLoader } from '../sqlTarget/applyChanges.js';
import { sqlVersionOf } from '../sqlTarget/sqlVersion.js';
import type { ApplyResult, CompiledMapping, SqlChange, SqlClient } from '../sqlTarget/types.js';
import { sqlTargetName } from '../subscriptions/sqlEndpoint.js';

/** A configured SQL target: its database and mapping. */
export interface SqlWriterTarget {
  readonly client: SqlClient;
  readonly mapping: CompiledMapping;
}

export interface SqlWriterDeps {
  /** The configured targets by name (`sql://<name>`); a message for any other is dead-lettered. */
  readonly targets: ReadonlyMap<string, SqlWriterTarget>;
  /** For payloads offloaded to S3. */
  readonly s3?: Pick<S3Client, 'send'>;
  readonly definitions?: TypeDefinitionLoader;
  /** Attempts before a transient failure is dead-lettered (a subscription may ask for fewer). */
  readonly defaultMaxAttempts: number;
  /**
   * Failed attempts per message, as the deliverer counts them: a record held back behind its group or
   * never tried spends none. Without it the receive count stands in: tests of other behaviour only.
   */
  readonly attempts?: DeliveryAttempts;
  /** Told when an attempt could not be counted (the record is then retried, never dead-lettered). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  readonly batchSize?: number;
  readonly now: () => number;
}

/** One SQS record of the SQL queue, as the writer needs it. */
export interface SqlRecord {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  /** ApproximateReceiveCount: receives, not attempts (see `SqlWriterDeps.attempts`). */
  readonly attempt: number;
}

/** What became of a record: written (or nothing to write), to retry later, or dead-lettered with its cause. */
export type SqlSettlement =
  | { readonly disposition: 'done'; readonly summary: MessageSummary; readonly result?: ApplyResult }
  | { readonly disposition: 'retry'; readonly summary: MessageSummary; readonly cause: FailureCause }
  | {
      readonly disposition: 'dead-letter';
      readonly kind: DeadLetterKind;
      readonly summary: MessageSummary;
      readonly cause: FailureCause;
    };

const summaryOf = (messageId: string, message?: DeliveryMessage): MessageSummary => ({
  messageId,
  ...(message
    ? {
        resourceType: message.resourceType,
        id: message.id,
        versionId: message.versionId,
        operation: message.operation,
        subscriptionId: message.subscription.id,
      }
    : {}),
});

/**
 * The record's failed attempts, this one included, from the attempt store (the receive count without
 * one). A store that cannot be written gives `exhaustible: false`: retry, never dead-letter on a guess;
 * the queue's redrive limit is the backstop.
 */
const countAttempt = async (
  record: SqlRecord,
  deps: SqlWriterDeps,
): Promise<{ readonly attempt: number; readonly exhaustible: boolean }> => {
  if (!deps.attempts) return { attempt: record.attempt, exhaustible: true };
  try {
    return { attempt: await deps.attempts.failed(record.messageId), exhaustible: true };
  } catch (error) {
    deps.warn?.('Could not count a failed SQL write attempt; it is retried uncounted', {
      messageId: record.messageId,
      error: error instanceof Error ? error.name : 'unknown error',
    });
    return { attempt: record.attempt, exhaustible: false };
  }
};

interface Pending {
  readonly index: number;
  readonly record: SqlRecord;
  readonly message: DeliveryMessage;
  readonly target: string;
  readonly change: SqlChange;
}

/**
 * Writes a batch of SQL queue records to their SQL targets: each message is checked (schema, a
 * configured `sql://` target, a usable version), its payload loaded, and the changes of each target
 * applied together (`applyChanges`: newer versions only, child rows replaced, deletes recorded).
 * Returns one settlement per record, in order. A value that does not fit or a constraint violation
 * dead-letters that record with a cause naming table, column and resource (never the value); a
 * database that is down is retried until the attempts are used up. Within a FIFO group, the records
 * after one to retry are held back (retried with it) and not written.
 *
 * @example
 * const settlements = await writeSqlBatch(records, { targets, defaultMaxAttempts: 5, now: Date.now });
 */
export const writeSqlBatch = async (
  records: readonly SqlRecord[],
  deps: SqlWriterDeps,
): Promise<SqlSettlement[]> => {
  const settlements: (SqlSettlement | undefined)[] = new Array(records.length);
  const held = new Set<string>();
  const pending: Pending[] = [];
  // Only a record that was tried and failed gets here: it spends one attempt.
  const retryOrGiveUp = async (
    record: SqlRecord,
    summary: MessageSummary,
    failed: FailureCause,
    message?: DeliveryMessage,
  ): Promise<SqlSettlement> => {
    const counted = await countAttempt(record, deps);
    const cause = { ...failed, attempt: counted.attempt };
    const maxAttempts = Math.min(
      message?.subscription.maxAttempts ?? deps.defaultMaxAttempts,
      deps.defaultMaxAttempts,
    );
    if (counted.exhaustible && counted.attempt >= maxAttempts)
      return {
        disposition: 'dead-letter',
        kind: DeadLetterKind.retriesExhausted,
        summary,
        cause: { ...cause, maxAttempts },
      };
    held.add(record.groupId);
    return { disposition: 'retry', summary, cause };
  };
  const terminal = (
    summary: MessageSummary,
    cause: FailureCause,
    kind: DeadLetterKind = DeadLetterKind.terminal,
  ): SqlSettlement => ({
    disposition: 'dead-letter',
    kind,
    summary,
    cause,
  });

  for (const [index, record] of records.entries()) {
    const at = (reason: FailureReason, diagnostics?: string) =>
      failureCause(reason, record.attempt, deps.now(), diagnostics === undefined ? {} : { diagnostics });
    let message: DeliveryMessage;
    try {
      message = parseDeliveryMessage(record.body);
    } catch (error) {
      settlements[index] = terminal(
        summaryOf(record.messageId),
        at(FailureReason.invalidMessage, (error as Error).message),
        DeadLetterKind.invalidMessage,
      );
      continue;
    }
    const summary = summaryOf(record.messageId, message);
    if (held.has(record.groupId)) {
      settlements[index] = {
        disposition: 'retry',
        summary,
        cause: at(FailureReason.error, 'held back behind an earlier message of its group'),
      };
      continue;
    }
    const target = sqlTargetName(message.subscription.endpoint);
    if (target === undefined || !deps.targets.has(target)) {
      settlements[index] = terminal(
        summary,
        at(FailureReason.endpointNotAllowed, 'the endpoint is not a configured sql:// target'),
      );
      continue;
    }
    const version = sqlVersionOf(message);
    if (version === undefined) {
      settlements[index] = terminal(
        summary,
        at(FailureReason.invalidMessage, 'neither versionId nor lastUpdated gives an integer version'),
        DeadLetterKind.invalidMessage,
      );
      continue;
    }
    const base = { resourceType: message.resourceType, id: message.id, version };
    if (message.operation === 'delete') {
      pending.push({ index, record, message, target, change: { operation: 'delete', ...base } });
      continue;
    }
    try {
      const resource = await loadPayload(message.payload as NonNullable<DeliveryMessage['payload']>, deps.s3);
      pending.push({ index, record, message, target, change: { operation: 'upsert', ...base, resource } });
    } catch (error) {
      const reason = error instanceof PayloadError ? error.reason : 'payload-unavailable';
      const cause = at(reason as FailureReason, error instanceof Error ? error.message : undefined);
      settlements[index] =
        reason === 'payload-unavailable'
          ? await retryOrGiveUp(record, summary, cause, message)
          : terminal(summary, cause);
    }
  }

  const byTarget = new Map<string, Pending[]>();
  for (const item of pending) {
    const items = byTarget.get(item.target) ?? [];
    items.push(item);
    byTarget.set(item.target, items);
  }
  for (const [name, items] of byTarget) {
    const { client, mapping } = deps.targets.get(name) as SqlWriterTarget;
    const results = await applyChanges(
      client,
      mapping,
      items.map((item) => item.change),
      {
        ...(deps.batchSize === undefined ? {} : { batchSize: deps.batchSize }),
        ...(deps.definitions === undefined ? {} : { definitions: deps.definitions }),
      },
    );
    for (const [position, item] of items.entries()) {
      const result = results[position] as ApplyResult;
      const summary = summaryOf(item.record.messageId, item.message);
      if (result.outcome !== 'failed') {
        settlements[item.index] = { disposition: 'done', summary, result };
        continue;
      }
      const cause = failureCause(FailureReason.sqlWrite, item.record.attempt, deps.now(), {
        diagnostics: result.error?.message ?? 'the write failed',
      });
      settlements[item.index] = result.error?.terminal
        ? terminal(summary, cause)
        : await retryOrGiveUp(item.record, summary, cause, item.message);
    }
  }
  return settlements as SqlSettlement[];
};
