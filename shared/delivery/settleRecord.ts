import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { deadLetterInput, DeadLetterKind } from '../messages/deadLetter.js';
import { failureCause, FailureReason } from '../messages/failureCause.js';
import type { DeliveredVersion } from '../versions/DeliveredVersions.js';
import { dataStoreLabel } from '../healthlake/dataStoreLabel.js';
import { describe } from './batchRecords.js';
import type { BatchDeliveryDeps, BatchState, Parsed, ValidRecord } from './batchTypes.js';
import { ACCESS_DENIED_BACKOFF } from './constants.js';
import { isDataStoreFailure, PACER_DEFER_THRESHOLD_MS } from './dataStoreHealth.js';
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
  const restingMs = dataStoreWaitMs(target.endpoint, deps);
  if (restingMs > 0) {
    // Its data store refuses writes for now: wait out its backoff without trying, without an attempt.
    const cause = failureCause(FailureReason.dataStoreDeferred, attempt, deps.now());
    const delay = Math.max(
      Math.ceil(restingMs / 1000),
      retryDelaySeconds(attempt, deps.config.backoff, undefined, deps.random),
    );
    return retryOrGiveUp(groupId, item, { kind: 'transient-failure', cause }, deps, delay);
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
  noteDataStoreAnswer(target.endpoint, outcome, deps);
  const done = (): RecordSettlement => ({
    summary,
    outcome,
    attempt,
    dataStore: dataStoreLabel(target.endpoint),
    disposition: Disposition.done,
  });

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
      return { ...done(), endToEndLatencyMs: deps.now() - Date.parse(message.trace.ingestedAt) };
    }
    case 'not-supported-dropped':
    case 'filtered':
    case 'stale-skipped':
      return done();
    case 'terminal-failure':
      return deadLetter(groupId, item, outcome, DeadLetterKind.terminal, deps);
    case 'transient-failure':
      return retryOrGiveUp(groupId, item, outcome, deps, undefined, true);
  }
};

/** How long a record for `endpoint` must wait: its data store's rest, or a long pacer hold (Retry-After). */
const dataStoreWaitMs = (endpoint: string, deps: BatchDeliveryDeps): number => {
  if (!deps.dataStores) return 0;
  const held = deps.healthLake(endpoint).heldForMs?.() ?? 0;
  return Math.max(deps.dataStores.waitMs(endpoint), held > PACER_DEFER_THRESHOLD_MS ? held : 0);
};

/** Feeds what the data store answered into its health: a data-store failure counts towards a rest. */
const noteDataStoreAnswer = (endpoint: string, outcome: DeliveryOutcome, deps: BatchDeliveryDeps): void => {
  const health = deps.dataStores;
  if (!health) return;
  if (outcome.kind === 'transient-failure' && isDataStoreFailure(outcome.cause)) {
    const { cause } = outcome;
    health.failed(endpoint, (rests) =>
      retryDelaySeconds(rests, backoffFor(cause.reason, deps), cause.retryAfterSeconds, deps.random),
    );
    return;
  }
  // Only an HTTP answer says the data store is up (a skipped or unloadable record never reached it).
  if ('healthLakeLatencyMs' in outcome && outcome.healthLakeLatencyMs !== undefined)
    health.answered(endpoint);
};

const backoffFor = (reason: FailureReason, deps: BatchDeliveryDeps) =>
  reason === FailureReason.accessDenied
    ? (deps.config.accessDeniedBackoff ?? ACCESS_DENIED_BACKOFF)
    : deps.config.backoff;

/**
 * The message's failed attempts, this one included. With an attempt store, only records that were
 * tried count (`tried`); a record that was not (held back, deferred) keeps its count and can never run
 * out of attempts here: the queue's redrive limit is the backstop. A store that cannot be written gives
 * `exhaustible: false` (retry; never dead-letter on a guess). Without a store, the receive count.
 */
const countAttempt = async (
  item: ValidRecord,
  tried: boolean,
  deps: BatchDeliveryDeps,
): Promise<{ attempt: number; exhaustible: boolean }> => {
  if (!deps.attempts) return { attempt: item.attempt, exhaustible: true };
  if (!tried) return { attempt: item.attempt, exhaustible: false };
  try {
    return { attempt: await deps.attempts.failed(item.record.messageId), exhaustible: true };
  } catch (error) {
    deps.telemetry.warn('Could not count a failed delivery attempt; it is retried uncounted', {
      messageId: item.record.messageId,
      error: describe(error),
    });
    return { attempt: item.attempt, exhaustible: false };
  }
};

const retryOrGiveUp = async (
  groupId: string,
  item: ValidRecord,
  failed: Extract<DeliveryOutcome, { kind: 'transient-failure' }>,
  deps: BatchDeliveryDeps,
  /** Instead of the backoff (a record that was not tried). */
  delaySeconds?: number,
  /** Whether the record was sent (its failure spends an attempt). */
  tried = false,
): Promise<RecordSettlement> => {
  const { attempt, exhaustible } = await countAttempt(item, tried, deps);
  const outcome = { ...failed, cause: { ...failed.cause, attempt } };
  // A subscription may ask for fewer attempts than the deployment's retry count, never more.
  const maxAttempts = Math.min(
    item.message.subscription.maxAttempts ?? deps.config.defaultMaxAttempts,
    deps.config.defaultMaxAttempts,
  );
  if (exhaustible && attempt >= maxAttempts) {
    // The cause records the limit with the attempts made (`attempt`), so a dead letter says both.
    const exhausted = { ...outcome, cause: { ...outcome.cause, maxAttempts } };
    return deadLetter(groupId, { ...item, attempt }, exhausted, DeadLetterKind.retriesExhausted, deps);
  }
  const delay =
    delaySeconds ??
    retryDelaySeconds(
      attempt,
      backoffFor(outcome.cause.reason, deps),
      outcome.cause.retryAfterSeconds,
      deps.random,
    );
  // On failure the retry still happens, after the queue's own visibility timeout.
  await setVisibility([item], delay, deps, 'Could not set the retry delay of a failed record', {
    messageId: item.record.messageId,
  });
  return retrySettlement({ ...item, attempt }, outcome, delay, deps);
};

/** A record reported failed, to be delivered again after `delaySeconds`. */
const retrySettlement = (
  item: Parsed,
  outcome: Extract<DeliveryOutcome, { kind: 'transient-failure' | 'terminal-failure' }>,
  delaySeconds: number,
  deps: BatchDeliveryDeps,
): RecordSettlement => ({
  summary: item.summary,
  outcome,
  attempt: item.attempt,
  ...labelOf(item, deps),
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
      deps,
    );
  }
  return {
    summary: item.summary,
    outcome,
    attempt: item.attempt,
    ...labelOf(item, deps),
    disposition: Disposition.deadLettered,
  };
};

/** The per-data-store label, for allow-listed endpoints only (a metric dimension must stay bounded). */
const labelOf = (item: Parsed, deps: BatchDeliveryDeps): { dataStore?: string } =>
  item.invalid || !deps.config.allowedEndpoints.has(item.target.endpoint)
    ? {}
    : { dataStore: dataStoreLabel(item.target.endpoint) };
