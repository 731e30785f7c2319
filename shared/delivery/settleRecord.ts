import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { deadLetterInput, DeadLetterKind } from '../messages/deadLetter.js';
import { failureCause, FailureReason } from '../messages/failureCause.js';
import type { DeliveredVersion } from '../versions/DeliveredVersions.js';
import { describe } from './batchRecords.js';
import type { BatchDeliveryDeps, BatchState, Parsed, ValidRecord } from './batchTypes.js';
import { ACCESS_DENIED_BACKOFF } from './constants.js';
import { deliverMessage } from './deliverMessage.js';
import { retryDelaySeconds } from './retryDelay.js';
import type { TimeBudget } from './timeBudget.js';
import { Disposition, type DeliveryOutcome, type RecordSettlement } from './types.js';

/**
 * Sets the visibility timeout of `members` in one request. A failure only warns (`warning`, `details`
 * and the error): the queue's own visibility timeout applies instead.
 */
export const setVisibility = async (
  members: readonly Parsed[],
  delaySeconds: number,
  deps: BatchDeliveryDeps,
  warning: string,
  details: Record<string, unknown>,
): Promise<void> => {
  try {
    await deps.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: deps.config.queueUrl,
        Entries: members.map((member, index) => ({
          Id: String(index),
          ReceiptHandle: member.record.receiptHandle,
          VisibilityTimeout: delaySeconds,
        })),
      }),
    );
  } catch (error) {
    deps.telemetry.warn(warning, { ...details, error: describe(error) });
  }
};

/** Delivers one record and settles it: done, retried with a backoff, or dead-lettered with its cause. */
export const settleRecord = async (
  groupId: string,
  item: Parsed,
  statePromise: Promise<BatchState>,
  deps: BatchDeliveryDeps,
  budget: TimeBudget | undefined,
): Promise<RecordSettlement> => {
  if (item.invalid) {
    const cause = failureCause(FailureReason.invalidMessage, item.attempt, deps.now(), {
      diagnostics: item.invalid.problems,
    });
    return deadLetter(
      groupId,
      item,
      { kind: 'terminal-failure', cause },
      DeadLetterKind.invalidMessage,
      deps,
    );
  }
  const { message, target, deliveredKey, attempt, summary } = item;
  if (!deps.config.allowedEndpoints.has(target.endpoint)) {
    const cause = failureCause(FailureReason.endpointNotAllowed, attempt, deps.now(), {
      ...(deps.config.allowListProblem ? { diagnostics: deps.config.allowListProblem } : {}),
    });
    return deadLetter(groupId, item, { kind: 'terminal-failure', cause }, DeadLetterKind.terminal, deps);
  }

  let outcome: DeliveryOutcome;
  let state: BatchState;
  try {
    state = await statePromise;
  } catch (error) {
    const cause = failureCause(FailureReason.stateUnavailable, attempt, deps.now(), {
      diagnostics: describe(error),
    });
    return retryOrGiveUp(groupId, item, { kind: 'transient-failure', cause }, deps);
  }
  if (budget && !budget.canStart()) {
    const cause = failureCause(FailureReason.timeLimit, attempt, deps.now());
    return retryOrGiveUp(groupId, item, { kind: 'transient-failure', cause }, deps, budget.deferDelaySeconds);
  }
  const previous = state.delivered.get(deliveredKey);
  try {
    outcome = await deliverMessage(
      message,
      {
        attempt,
        latest: state.latest.get(item.ledgerKey),
        delivered: previous,
        ...(budget ? { requestTimeoutMs: budget.requestTimeoutMs() } : {}),
      },
      deps,
    );
  } catch (error) {
    const cause = failureCause(FailureReason.error, attempt, deps.now(), { diagnostics: describe(error) });
    outcome = { kind: 'transient-failure', cause };
  }

  switch (outcome.kind) {
    case 'delivered':
    case 'deleted': {
      const version: DeliveredVersion = {
        versionId: message.versionId,
        lastUpdated: message.lastUpdated,
        deleted: message.operation === 'delete',
      };
      try {
        await deps.delivered.record(target, version, previous);
        state.delivered.set(deliveredKey, version);
      } catch (error) {
        // HealthLake has it, but without the record a retried older version could overwrite it: retry.
        const cause = failureCause(FailureReason.stateUnavailable, attempt, deps.now(), {
          diagnostics: describe(error),
        });
        return retryOrGiveUp(groupId, item, { kind: 'transient-failure', cause }, deps);
      }
      return {
        summary,
        outcome,
        attempt,
        disposition: Disposition.done,
        endToEndLatencyMs: deps.now() - Date.parse(message.trace.ingestedAt),
      };
    }
    case 'not-supported-dropped':
    case 'filtered':
    case 'stale-skipped':
      return { summary, outcome, attempt, disposition: Disposition.done };
    case 'terminal-failure':
      return deadLetter(groupId, item, outcome, DeadLetterKind.terminal, deps);
    case 'transient-failure':
      return retryOrGiveUp(groupId, item, outcome, deps);
  }
};

const retryOrGiveUp = async (
  groupId: string,
  item: ValidRecord,
  outcome: Extract<DeliveryOutcome, { kind: 'transient-failure' }>,
  deps: BatchDeliveryDeps,
  /** Instead of the backoff (a record that was not tried). */
  delaySeconds?: number,
): Promise<RecordSettlement> => {
  // A subscription may ask for fewer attempts than the queue's redrive limit, never more: past that
  // limit SQS would redrive the message itself, without its cause.
  const maxAttempts = Math.min(
    item.message.subscription.maxAttempts ?? deps.config.defaultMaxAttempts,
    deps.config.defaultMaxAttempts,
  );
  if (item.attempt >= maxAttempts) {
    // The cause records the limit with the attempts made (`attempt`), so a dead letter says both.
    const exhausted = { ...outcome, cause: { ...outcome.cause, maxAttempts } };
    return deadLetter(groupId, item, exhausted, DeadLetterKind.retriesExhausted, deps);
  }
  const backoff =
    outcome.cause.reason === FailureReason.accessDenied
      ? (deps.config.accessDeniedBackoff ?? ACCESS_DENIED_BACKOFF)
      : deps.config.backoff;
  const delay =
    delaySeconds ?? retryDelaySeconds(item.attempt, backoff, outcome.cause.retryAfterSeconds, deps.random);
  // On failure the retry still happens, after the queue's own visibility timeout.
  await setVisibility([item], delay, deps, 'Could not set the retry delay of a failed record', {
    messageId: item.record.messageId,
  });
  return retrySettlement(item, outcome, delay);
};

/** A record reported failed, to be delivered again after `delaySeconds`. */
const retrySettlement = (
  item: Parsed,
  outcome: Extract<DeliveryOutcome, { kind: 'transient-failure' | 'terminal-failure' }>,
  delaySeconds: number,
): RecordSettlement => ({
  summary: item.summary,
  outcome,
  attempt: item.attempt,
  disposition: Disposition.retry,
  retryDelaySeconds: delaySeconds,
});

const deadLetter = async (
  groupId: string,
  item: Parsed,
  outcome: Extract<DeliveryOutcome, { kind: 'transient-failure' | 'terminal-failure' }>,
  kind: DeadLetterKind,
  deps: BatchDeliveryDeps,
): Promise<RecordSettlement> => {
  try {
    await deps.sqs.send(
      new SendMessageCommand(
        deadLetterInput({
          queueUrl: deps.config.deadLetterQueueUrl,
          body: item.record.body,
          groupId,
          kind,
          cause: outcome.cause,
          summary: item.summary,
        }),
      ),
    );
  } catch (error) {
    deps.telemetry.warn('Could not send a failed record to the DLQ; it will be retried', {
      messageId: item.record.messageId,
      error: describe(error),
    });
    // Unlike retryOrGiveUp, this sets no visibility timeout: the queue's own applies.
    return retrySettlement(
      item,
      outcome,
      retryDelaySeconds(item.attempt, deps.config.backoff, undefined, deps.random),
    );
  }
  return { summary: item.summary, outcome, attempt: item.attempt, disposition: Disposition.deadLettered };
};
