import type { JobStore } from './JobStore.js';
import type { BackfillJob, JobCounts, PageCommit, StreamCursor } from './types.js';
import { FINAL_JOB_STATES } from './types.js';

const addCounts = (a: JobCounts, b: JobCounts): JobCounts => ({
  read: a.read + b.read,
  matched: a.matched + b.matched,
  enqueued: a.enqueued + b.enqueued,
  skipped: a.skipped + b.skipped,
  failed: a.failed + b.failed,
  conflicts: a.conflicts + b.conflicts,
});

/** JobStore in memory, with the same conditional semantics as the DynamoDB one (tests, local tools). */
export class InMemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, BackfillJob>();

  public async create(job: BackfillJob): Promise<void> {
    if (this.jobs.has(job.jobId)) throw new Error(`Job ${job.jobId} exists`);
    this.jobs.set(job.jobId, structuredClone(job));
  }

  public async get(jobId: string): Promise<BackfillJob | undefined> {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job) : undefined;
  }

  public async markRunning(jobId: string, at: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job?.state === 'queued') this.jobs.set(jobId, { ...job, state: 'running', startedAt: at });
  }

  public async commitPage(jobId: string, commit: PageCommit): Promise<boolean> {
    const job = this.jobs.get(jobId);
    const cursor = job?.streams[commit.stream];
    if (!job || !cursor || cursor.page !== commit.page - 1) return false;
    const done = commit.nextUrl === undefined;
    const next: StreamCursor = {
      ...cursor,
      page: commit.page,
      nextUrl: commit.nextUrl,
      nextEnqueued: done,
      done,
      read: (cursor.read ?? 0) + commit.counts.read,
      enqueued: (cursor.enqueued ?? 0) + commit.counts.enqueued,
    };
    if (next.nextUrl === undefined) delete (next as { nextUrl?: string }).nextUrl;
    const streams = job.streams.map((stream, index) => (index === commit.stream ? next : stream));
    this.jobs.set(jobId, {
      ...job,
      streams,
      counts: addCounts(job.counts, commit.counts),
      streamsDone: job.streamsDone + (done ? 1 : 0),
      failedIds: [...job.failedIds, ...commit.failedIds],
    });
    return true;
  }

  public async markNextEnqueued(jobId: string, stream: number, page: number): Promise<void> {
    const job = this.jobs.get(jobId);
    const cursor = job?.streams[stream];
    if (!job || !cursor || cursor.page !== page) return;
    const streams = job.streams.map((value, index) =>
      index === stream ? { ...value, nextEnqueued: true } : value,
    );
    this.jobs.set(jobId, { ...job, streams });
  }

  public async completeIfDone(jobId: string, at: string): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || FINAL_JOB_STATES.has(job.state) || job.streamsDone < job.streams.length) return false;
    this.jobs.set(jobId, { ...job, state: 'completed', endedAt: at });
    return true;
  }

  public async finish(
    jobId: string,
    state: 'failed' | 'cancelled',
    reason: string,
    at: string,
  ): Promise<BackfillJob | undefined> {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    if (!FINAL_JOB_STATES.has(job.state)) this.jobs.set(jobId, { ...job, state, reason, endedAt: at });
    return this.get(jobId);
  }
}
