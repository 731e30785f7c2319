import type { SQSRecord } from 'aws-lambda';
import { parseRecord, prefetch } from './batchRecords.js';
import type { BatchDelivery, BatchDeliveryDeps, BatchState, Parsed } from './batchTypes.js';
import { DeliveryError, RecordFailedError } from './errors.js';
import { setVisibility, settleRecord } from './settleRecord.js';
import { createTimeBudget, type TimeBudget } from './timeBudget.js';
import { Disposition, type RecordSettlement } from './types.js';

/** A record held back behind a failed one of its group: never tried in this invocation. */
const SKIPPED: unique symbol = Symbol('skipped');

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
