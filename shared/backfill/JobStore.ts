import type { BackfillJob, PageCommit } from './types.js';

/**
 * Persistence of backfill jobs. Every mutation is conditional so that duplicate or concurrent worker
 * invocations cannot count a page twice or move a final state.
 */
export interface JobStore {
  /** Stores a new job (fails if the id exists). */
  create(job: BackfillJob): Promise<void>;
  get(jobId: string): Promise<BackfillJob | undefined>;
  /** queued -> running (records `startedAt`); no-op in any other state. */
  markRunning(jobId: string, at: string): Promise<void>;
  /**
   * Advances a stream's cursor from `page - 1` to `page`, adding the page's counts, in one
   * conditional write. False when the cursor was not at `page - 1` (page already committed).
   */
  commitPage(jobId: string, commit: PageCommit): Promise<boolean>;
  /** Records that the message of page `page + 1` of a stream is on the queue. */
  markNextEnqueued(jobId: string, stream: number, page: number): Promise<void>;
  /** running -> completed when every stream is done. True when this call completed it. */
  completeIfDone(jobId: string, at: string): Promise<boolean>;
  /**
   * queued|running -> failed|cancelled with a reason. Returns the job afterwards (unchanged when it
   * was already final), undefined when unknown.
   */
  finish(
    jobId: string,
    state: 'failed' | 'cancelled',
    reason: string,
    at: string,
  ): Promise<BackfillJob | undefined>;
}
