import { OperationOutcomeError, serviceUnavailable } from '../fhir/outcomes.js';
import type { JobStore } from './JobStore.js';
import type { BackfillJob, BackfillLogger, StreamCursor, WorkMessage, WorkQueue } from './types.js';

/** What starting a job needs. */
export interface JobStartDeps {
  readonly jobs: JobStore;
  readonly queue: WorkQueue;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
}

/** `items` in batches of at most `size` (the ids of one work message each). */
export const batches = <T>(items: readonly T[], size: number): T[][] => {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
};

/** A stream before its first page: its page-0 message is on the queue unless `standby`. */
export const newCursor = (
  kind: StreamCursor['kind'],
  fields: Pick<StreamCursor, 'searchUrl' | 'idCount'> = {},
  standby = false,
): StreamCursor => ({ kind, ...fields, page: -1, nextEnqueued: !standby, done: false });

/**
 * Stores a new job, then puts its first messages on the queue. A job whose messages could not all be
 * queued is failed at once (never left queued with nothing to run it) and the caller gets a 503.
 */
export const createJob = async (
  deps: JobStartDeps,
  job: BackfillJob,
  messages: readonly WorkMessage[],
): Promise<void> => {
  await deps.jobs.create(job);
  try {
    await deps.queue.send(messages);
  } catch (error) {
    const now = (deps.now ?? (() => new Date()))().toISOString();
    await deps.jobs.finish(job.jobId, 'failed', 'Could not enqueue the backfill work', now);
    deps.logger?.error('Backfill enqueue failed', {
      jobId: job.jobId,
      subscriptionId: job.subscriptionId ?? job.notification?.sourceSubscriptionId,
      error: (error as Error)?.name,
    });
    throw new OperationOutcomeError(serviceUnavailable('Could not start the backfill; retry later'), error);
  }
};
