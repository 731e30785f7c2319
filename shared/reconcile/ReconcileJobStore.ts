import type { JobState, ReconcileJob, ReconcilePageCommit, ReconcileStream } from './types.js';

/**
 * Persistence of reconcile jobs. Every mutation is conditional, so duplicate or concurrent worker
 * invocations cannot count a page twice, plan twice or move a final state.
 */
export interface ReconcileJobStore {
  /** Stores a new job (fails if the id exists). */
  create(job: ReconcileJob): Promise<void>;
  get(jobId: string): Promise<ReconcileJob | undefined>;
  /** queued and unplanned -> running with `streams`. False when it was planned already or is final. */
  plan(jobId: string, streams: readonly ReconcileStream[], at: string): Promise<boolean>;
  /** Advances a stream's cursor from `page - 1` to `page`, adding counts and samples; false if already done. */
  commitPage(jobId: string, commit: ReconcilePageCommit): Promise<boolean>;
  /** Records that the message of page `page + 1` of a stream is on the queue. */
  markNextEnqueued(jobId: string, stream: number, page: number): Promise<void>;
  /** running -> completed when every stream is done. True when this call completed it. */
  completeIfDone(jobId: string, at: string): Promise<boolean>;
  /**
   * A compare job's only-in-HealthLake ids (`Type/id`, HealthLake's ids), kept for a prune that
   * confirms it. Idempotent: a redone page lists its ids again.
   */
  recordOrphans(jobId: string, keys: readonly string[]): Promise<void>;
  /** Which of `keys` the compare job `jobId` listed. */
  listedOrphans(jobId: string, keys: readonly string[]): Promise<Set<string>>;
  /**
   * Reserves `count` deletes for one batch (`batch` names it: a redone batch re-uses its reservation)
   * in the job's prune counter, with a conditional update, only while the job's total stays at most
   * `limit`. False when it would not: nothing was reserved and nothing may be deleted.
   */
  reservePrunes(jobId: string, batch: string, count: number, limit: number): Promise<boolean>;
  /** queued|running -> failed|cancelled. The job afterwards (unchanged when final), undefined when unknown. */
  finish(
    jobId: string,
    state: Extract<JobState, 'failed' | 'cancelled'>,
    reason: string,
    at: string,
  ): Promise<ReconcileJob | undefined>;
}
