import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { resourceKey } from '../fhir/ids.js';
import { HealthLakeError } from '../healthlake/errors.js';
import {
  InvalidDeliveryMessageError,
  parseDeliveryMessage,
  type DeliveryMessage,
} from '../messages/deliveryMessage.js';
import type { LedgerEntry, VersionLedger } from '../versions/VersionLedger.js';
import { deadLetterInput, DeadLetterKind } from './deadLetter.js';
import {
  targetKey,
  type DeliveredVersion,
  type DeliveredVersions,
  type DeliveryTarget,
} from './DeliveredVersions.js';
import { deliverMessage, type DeliverMessageDeps } from './deliverMessage.js';
import { ACCESS_DENIED_BACKOFF } from './constants.js';
import { healthLakeIdOf } from './replicationTarget.js';
import { DeliveryError, RecordFailedError } from './errors.js';
import { retryDelaySeconds, type BackoffOptions } from './retryDelay.js';
import { createTimeBudget, type TimeBudget, type TimeLimitOptions } from './timeBudget.js';
import {
  Disposition,
  failureCause,
  FailureReason,
  type DeliveryOutcome,
  type DeliveryTelemetry,
  type MessageSummary,
  type RecordSettlement,
} from './types.js';

/** Settings of the batch deliverer (read once from the environment by the Lambda). */
export interface BatchDeliveryConfig {
  /** The queue the records came from (for ChangeMessageVisibility). */
  readonly queueUrl: string;
  /** Where terminal failures go, with their cause. */
  readonly deadLetterQueueUrl: string;
  /** Attempts before a transiently failing message is dead-lettered (the queue's redrive limit); a subscription may lower it. */
  readonly defaultMaxAttempts: number;
  readonly backoff?: BackoffOptions;
  /** Backoff of access-denied failures (a configuration fault): long, so an operator can fix it in time. */
  readonly accessDeniedBackoff?: BackoffOptions;
  /**
   * Endpoints (normalised by `parseAllowedEndpoints`) a message may target. Fails closed: an empty
   * set allows none. Ingest checks the same list when a Subscription is created.
   */
  readonly allowedEndpoints: ReadonlySet<string>;
  /** Why the allow-list is empty or unparsable, when it is (logged at start-up, put in each cause). */
  readonly allowListProblem?: string;
  /** Keeps each invocation within its time limit (with the invocation's remaining time). */
  readonly timeLimit?: TimeLimitOptions;
}

/** Everything a batch needs, narrowed to what it calls; built once per Lambda instance. */
export interface BatchDeliveryDeps extends DeliverMessageDeps {
  readonly ledger: Pick<VersionLedger, 'getLatest'>;
  readonly delivered: DeliveredVersions;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly telemetry: DeliveryTelemetry;
  readonly config: BatchDeliveryConfig;
  /** Jitter source, for tests. @default Math.random */
  readonly random?: () => number;
}

/** A batch in progress: per-record results, available to a record handler in any order. */
export interface BatchDelivery {
  /**
   * The record handler for a partial-batch processor: resolves with the settlement when the record is
   * done (delivered, dropped, skipped, dead-lettered), throws `RecordFailedError` when it must be retried.
   */
  settle(record: SQSRecord): Promise<RecordSettlement>;
  /** All records settled (failures included); never rejects. */
  readonly done: Promise<readonly RecordSettlement[]>;
}

interface ParsedRecord {
  readonly record: SQSRecord;
  readonly attempt: number;
  readonly summary: MessageSummary;
}

/** A record whose body is a valid delivery message. */
interface ValidRecord extends ParsedRecord {
  readonly message: DeliveryMessage;
  /** The message's resource and endpoint. */
  readonly target: DeliveryTarget;
  /** `targetKey(target)`: the key of its delivered version in the batch state. */
  readonly deliveredKey: string;
  /** The source resource's key in the version ledger (written by ingest, before any id rewriting). */
  readonly ledgerKey: string;
  readonly invalid?: undefined;
}

/** A record whose body is not a valid delivery message (dead-lettered with the problems). */
interface InvalidRecord extends ParsedRecord {
  readonly message?: undefined;
  readonly invalid: InvalidDeliveryMessageError;
}

type Parsed = ValidRecord | InvalidRecord;

const SKIPPED: unique symbol = Symbol('skipped');

const summarize = (record: SQSRecord, message?: DeliveryMessage): MessageSummary =>
  message
    ? {
        messageId: record.messageId,
        resourceType: message.resourceType,
        id: message.id,
        versionId: message.versionId,
        operation: message.operation,
        subscriptionId: message.subscription.id,
      }
    : { messageId: record.messageId };

/** An error's safe description: our own and AWS SDK errors carry no content; others only their name. */
const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return 'unknown error';
  const safe = error instanceof DeliveryError || error instanceof HealthLakeError || '$metadata' in error;
  return safe ? `${error.name}: ${error.message}` : error.name;
};

/**
 * Delivers a batch of SQS records from the delivery queue. Reads the ledger and the delivered versions
 * of the whole batch in one call each, then works through the FIFO groups in parallel and through each
 * group in order, stopping a group at its first retryable failure (and holding back its later records
 * for the same backoff). Terminal failures and invalid messages go to the DLQ with their cause and count
 * as done, so they never block their group; so does a message whose retries are used up.
 *
 * With `config.timeLimit` and the invocation's `remainingMs`, a record starts only while there is time
 * for its request; the records left are reported failed with a short delay (or dead-lettered with the
 * cause on their last receive), so a slow data store never lets Lambda kill the invocation unreported.
 *
 * @example
 * const batch = startBatchDelivery(event.Records, deps, () => context.getRemainingTimeInMillis());
 * return processPartialResponse(event, (record) => batch.settle(record), new SqsFifoPartialProcessorAsync(),
 *   { skipGroupOnError: true });
 */
export const startBatchDelivery = (
  records: readonly SQSRecord[],
  deps: BatchDeliveryDeps,
  remainingMs?: () => number,
): BatchDelivery => {
  const budget =
    remainingMs && deps.config.timeLimit ? createTimeBudget(remainingMs, deps.config.timeLimit) : undefined;
  const results = new Map<string, Promise<RecordSettlement | typeof SKIPPED>>();
  const parsed = records.map(parseRecord);
  const state = prefetch(parsed, deps);
  // Each record awaits (and handles) the prefetch; this only keeps an early rejection from being "unhandled".
  state.catch(() => undefined);
  const groups = new Map<string, Parsed[]>();
  for (const item of parsed) {
    const group = item.record.attributes.MessageGroupId ?? item.record.messageId;
    const members = groups.get(group);
    if (members) members.push(item);
    else groups.set(group, [item]);
  }
  for (const [groupId, members] of groups) {
    const chain = runGroup(groupId, members, state, deps, budget);
    members.forEach((member, index) => results.set(member.record.messageId, chain[index]!));
  }
  const done = Promise.all(records.map((record) => results.get(record.messageId)!)).then((all) =>
    all.filter((result): result is RecordSettlement => result !== SKIPPED),
  );
  return {
    done,
    settle: async (record) => {
      const result = await results.get(record.messageId);
      if (result === undefined) throw new DeliveryError(`Record ${record.messageId} is not in this batch`);
      if (result === SKIPPED) {
        throw new DeliveryError(
          `Record ${record.messageId} held back: an earlier message of its group failed`,
        );
      }
      if (result.disposition === Disposition.retry) throw new RecordFailedError(result);
      return result;
    },
  };
};

const healthLakeIdOrSource = (message: DeliveryMessage): string => {
  try {
    return healthLakeIdOf(message);
  } catch {
    return message.id;
  }
};

const parseRecord = (record: SQSRecord): Parsed => {
  const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  try {
    const message = parseDeliveryMessage(record.body);
    const target = {
      // Keyed by the id HealthLake holds (Smile replication may rewrite it); an id that cannot be
      // rewritten keeps the source id here and is dead-lettered by deliverMessage with its cause.
      resourceKey: resourceKey(message.resourceType, healthLakeIdOrSource(message)),
      endpoint: message.subscription.endpoint,
    };
    return {
      record,
      message,
      target,
      ledgerKey: resourceKey(message.resourceType, message.id),
      deliveredKey: targetKey(target),
      attempt,
      summary: summarize(record, message),
    };
  } catch (error) {
    const invalid =
      // Stryker disable next-line StringLiteral: parseDeliveryMessage throws InvalidDeliveryMessageError only; a guard for the future
      error instanceof InvalidDeliveryMessageError ? error : new InvalidDeliveryMessageError('unreadable');
    return { record, invalid, attempt, summary: summarize(record) };
  }
};

interface BatchState {
  readonly latest: Map<string, LedgerEntry>;
  readonly delivered: Map<string, DeliveredVersion>;
}

/** One read of the ledger and one of the delivered versions for the whole batch. */
const prefetch = async (parsed: readonly Parsed[], deps: BatchDeliveryDeps): Promise<BatchState> => {
  const keys = new Set<string>();
  const targets = new Map<string, DeliveryTarget>();
  for (const item of parsed) {
    if (item.invalid) continue;
    keys.add(item.ledgerKey);
    targets.set(item.deliveredKey, item.target);
  }
  // Stryker disable next-line ObjectLiteral: a batch of invalid records only never reads the state
  if (keys.size === 0) return { latest: new Map(), delivered: new Map() };
  const [latest, delivered] = await Promise.all([
    deps.ledger.getLatest([...keys]),
    deps.delivered.getMany([...targets.values()]),
  ]);
  return { latest, delivered };
};

/** Runs one FIFO group in order; returns one promise per member, none of which rejects. */
const runGroup = (
  groupId: string,
  members: readonly Parsed[],
  statePromise: Promise<BatchState>,
  deps: BatchDeliveryDeps,
  budget: TimeBudget | undefined,
): Promise<RecordSettlement | typeof SKIPPED>[] => {
  const settled: Promise<RecordSettlement | typeof SKIPPED>[] = [];
  let previous: Promise<RecordSettlement | typeof SKIPPED | undefined> = Promise.resolve(undefined);
  members.forEach((member, index) => {
    const current = previous.then(async (before) => {
      // SKIPPED only ever follows a retry, which already held back this record and the rest.
      if (before === SKIPPED) return SKIPPED;
      if (before?.disposition === Disposition.retry) {
        // Gives the rest of the failed group the same backoff, so the group resumes together.
        await setVisibility(
          members.slice(index),
          before.retryDelaySeconds ?? 0,
          deps,
          'Could not delay the held-back records of a failed group',
          { records: members.length - index },
        );
        return SKIPPED;
      }
      const result = await settleRecord(groupId, member, statePromise, deps, budget);
      deps.telemetry.settled(result);
      return result;
    });
    settled.push(current);
    previous = current;
  });
  return settled;
};

/**
 * Sets the visibility timeout of `members` in one request. A failure only warns (`warning`, `details`
 * and the error): the queue's own visibility timeout applies instead.
 */
const setVisibility = async (
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

const settleRecord = async (
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
    return deadLetter(groupId, item, outcome, DeadLetterKind.retriesExhausted, deps);
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
