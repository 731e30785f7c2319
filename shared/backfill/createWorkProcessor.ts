import { BoundedCache } from '../cache/BoundedCache.js';
import type { IncomingWrite, WritePipeline } from '../ingest/types.js';
import { checkSourceResource } from './checkSourceResource.js';
import { MAX_COMPILED_CRITERIA, MAX_RECORDED_FAILED_IDS } from './constants.js';
import { SourceError, PermanentSourceError } from '../fhirClient/errors.js';
import type { JobStore } from './JobStore.js';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import type {
  BackfillLogger,
  CriteriaCompiler,
  FailedId,
  FhirResource,
  JobCounts,
  WorkMessage,
  WorkQueue,
  SubscriptionLookup,
} from './types.js';
import { FAILED_ID_REASONS, FINAL_JOB_STATES } from './types.js';

export interface BackfillWorkerDeps {
  readonly jobs: JobStore;
  readonly subscriptions: SubscriptionLookup;
  readonly queue: WorkQueue;
  /** The source reader, or a loader called once on first use (source credentials come from a secret). */
  readonly source: SourceReader | (() => Promise<SourceReader>);
  readonly pipeline: WritePipeline;
  readonly compileCriteria: CriteriaCompiler;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
  /** Concurrent reads of one resourceId batch (default 8). */
  readonly readConcurrency?: number;
  /** Structure-validate source resources, as ingest does (default true). */
  readonly validateResources?: boolean;
  /** Writes per `WritePipeline.accept` call (default 100). */
  readonly acceptChunkSize?: number;
  /**
   * On this receive of a message (SQS ApproximateReceiveCount), an error that would otherwise be
   * retried fails the job with its reason instead, so a job never hangs in `running` while its page
   * sits in the DLQ. Keep it at or below the queue's maxReceiveCount (default 5).
   */
  readonly maxReceives?: number;
  /** Compiled criteria kept by this worker instance (the recently used). @default MAX_COMPILED_CRITERIA (100) */
  readonly maxCompiledCriteria?: number;
}

/** What one message did; counts are only non-zero when this invocation committed the page. */
export interface WorkOutcome {
  readonly outcome:
    /** The page was read, accepted and committed. */
    | 'processed'
    /** The page had been committed already (duplicate or redelivered message). */
    | 'duplicate'
    /** Job unknown, final or cancelled: nothing done. */
    | 'stopped'
    /** A permanent source error (or an inactive subscription) failed the job. */
    | 'failed';
  readonly counts: JobCounts;
  readonly jobCompleted: boolean;
}

const ZERO: JobCounts = { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 };

const mapBounded = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
};

/**
 * Creates the backfill worker's unit of work: one page of one stream of a job.
 *
 * Order of effects makes it resumable and idempotent: (1) stop if the job is final (cancel takes
 * effect before the next page); (2) if the stream's cursor is already past this page, only make
 * sure the next page is enqueued; (3) read the page from the source; (4) accept the matching
 * resources through the WritePipeline (a re-accepted version is `current`, delivery dedup makes a
 * repeat harmless); (5) commit the page with a conditional write (exactly-once counts); (6) enqueue
 * the next page and mark it enqueued. A crash anywhere redelivers the message and resumes at the
 * first step not done: never from the start, never skipping a page.
 *
 * Transient source errors and pipeline errors throw (SQS redelivers); a permanent source error
 * fails the job with its reason.
 *
 * @example
 * const process = createWorkProcessor(deps);
 * await process(parseWorkMessage(record.body));
 */
export const createWorkProcessor = (deps: BackfillWorkerDeps) => {
  // Compiled criteria of the subscriptions this worker backfills, the recently used ones only.
  const matchers = new BoundedCache<string, ReturnType<CriteriaCompiler>>(
    deps.maxCompiledCriteria ?? MAX_COMPILED_CRITERIA,
  );
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const chunkSize = deps.acceptChunkSize ?? 100;
  let sourcePromise: Promise<SourceReader> | undefined;
  const getSource = (): Promise<SourceReader> => {
    if (typeof deps.source !== 'function') return Promise.resolve(deps.source);
    const load = deps.source;
    sourcePromise ??= load().catch((error: unknown) => {
      sourcePromise = undefined; // try the secret again on the next message
      throw error;
    });
    return sourcePromise;
  };

  let searchable: Promise<ReadonlySet<string>> | undefined;
  /** The source's searchable types, read once per worker instance (a failure is retried next time). */
  const sourceSearchable = (source: SourceReader): Promise<ReadonlySet<string>> => {
    if (!source.searchableTypes)
      return Promise.reject(new PermanentSourceError('The source reader cannot list types'));
    searchable ??= source.searchableTypes().catch((error: unknown) => {
      searchable = undefined;
      throw error;
    });
    return searchable;
  };

  const ensureNextEnqueued = async (message: WorkMessage): Promise<boolean> => {
    const job = await deps.jobs.get(message.jobId);
    const cursor = job?.streams[message.searchIndex];
    if (!job || !cursor || FINAL_JOB_STATES.has(job.state)) return false;
    if (cursor.page === message.pageNumber && !cursor.nextEnqueued && cursor.nextUrl !== undefined) {
      await deps.queue.send([
        {
          jobId: job.jobId,
          task: 'search',
          searchIndex: message.searchIndex,
          pageUrl: cursor.nextUrl,
          pageNumber: cursor.page + 1,
        },
      ]);
      await deps.jobs.markNextEnqueued(job.jobId, message.searchIndex, cursor.page);
    }
    return cursor.done ? deps.jobs.completeIfDone(job.jobId, now()) : false;
  };

  const failJob = async (jobId: string, reason: string): Promise<WorkOutcome> => {
    await deps.jobs.finish(jobId, 'failed', reason, now());
    deps.logger?.error('Backfill job failed', { jobId, reason });
    return { outcome: 'failed', counts: ZERO, jobCompleted: false };
  };

  const processPage = async (message: WorkMessage): Promise<WorkOutcome> => {
    const { jobId, searchIndex: stream, pageNumber: page } = message;
    const job = await deps.jobs.get(jobId);
    const cursor = job?.streams[stream];
    if (!job || !cursor) {
      deps.logger?.warn('Backfill message for an unknown job or stream', { jobId, stream, page });
      return { outcome: 'stopped', counts: ZERO, jobCompleted: false };
    }
    if (FINAL_JOB_STATES.has(job.state)) return { outcome: 'stopped', counts: ZERO, jobCompleted: false };
    if (cursor.page >= page) {
      return { outcome: 'duplicate', counts: ZERO, jobCompleted: await ensureNextEnqueued(message) };
    }
    if (cursor.page < page - 1) {
      // Pages of a stream are only enqueued after their predecessor committed: this cannot happen.
      deps.logger?.error('Backfill page ahead of its stream cursor; dropped', {
        jobId,
        stream,
        page,
        cursor: cursor.page,
      });
      return { outcome: 'stopped', counts: ZERO, jobCompleted: false };
    }
    if (job.state === 'queued') await deps.jobs.markRunning(jobId, now());

    const subscription = await deps.subscriptions.getSubscription(job.subscriptionId);
    if (subscription?.status !== 'active' || !subscription.active) {
      return failJob(jobId, `Subscription ${job.subscriptionId} is no longer active`);
    }
    const criteria = subscription.active.criteria;
    const matcher = matchers.getOrCreate(criteria, () => deps.compileCriteria(criteria));

    let resources: FhirResource[];
    let nextUrl: string | undefined;
    const notFound: string[] = [];
    const invalid: string[] = [];
    const conflicts: string[] = [];
    const checked = (value: unknown, expected?: { resourceType: string; id: string }) => {
      const check = checkSourceResource(value, {
        ...(deps.validateResources === undefined ? {} : { validate: deps.validateResources }),
        ...(deps.now ? { now: deps.now } : {}),
        ...(expected ? { expected } : {}),
      });
      if (!check.ok) invalid.push(check.failedId);
      return check.ok ? check.resource : undefined;
    };
    const source = await getSource();
    try {
      const type = message.task === 'search' ? message.pageUrl.slice(0, message.pageUrl.indexOf('?')) : '';
      if (
        message.task === 'search' &&
        message.ifSourceSearchable &&
        !(await sourceSearchable(source)).has(type)
      ) {
        resources = []; // not searchable on the source: the stream completes empty
      } else if (message.task === 'search') {
        const url = page === 0 ? source.resolveSearchUrl(message.pageUrl) : message.pageUrl;
        const result = await source.searchPage(url);
        resources = result.resources.map((resource) => checked(resource)).filter(isResource);
        nextUrl = result.nextUrl;
      } else {
        const read = await mapBounded(message.ids, deps.readConcurrency ?? 8, async (key) => {
          const slash = key.indexOf('/');
          const expected = { resourceType: key.slice(0, slash), id: key.slice(slash + 1) };
          const resource = await source.read(expected.resourceType, expected.id);
          if (!resource) notFound.push(key);
          return resource === undefined ? undefined : checked(resource, expected);
        });
        resources = read.filter(isResource);
      }
    } catch (error) {
      if (error instanceof PermanentSourceError) {
        return failJob(
          jobId,
          `Source error on ${message.task === 'search' ? `searchUrl ${stream + 1}` : 'resourceId batch'}, page ${page + 1}: ${error.message}`,
        );
      }
      throw error;
    }

    const matched = resources.filter((resource) => matcher.matches(resource));
    const requestId = `backfill:${jobId}:${stream}:${page}`;
    let enqueued = 0;
    let skipped = 0;
    for (let start = 0; start < matched.length; start += chunkSize) {
      const writes: IncomingWrite[] = matched.slice(start, start + chunkSize).map((resource) => ({
        operation: 'upsert',
        resourceType: resource.resourceType,
        id: resource.id ?? '',
        resource,
        source: 'backfill',
        requestId,
        jobId,
        onlySubscriptionId: job.subscriptionId,
      }));
      const results = await deps.pipeline.accept(writes);
      results.forEach((result, index) => {
        enqueued += result.enqueued;
        if (result.status === 'stale') skipped += 1;
        if (result.status === 'conflict') {
          // The ledger holds this versionId with other content: refused, never delivered. A failure.
          const write = writes[index] as IncomingWrite;
          conflicts.push(`${write.resourceType}/${write.id}`);
          deps.logger?.warn('Backfill source copy conflicts with the recorded version; not delivered', {
            jobId,
            resourceType: write.resourceType,
            id: write.id,
            versionId: result.versionId,
          });
        }
      });
    }
    const counts: JobCounts = {
      read: resources.length + invalid.length,
      matched: matched.length,
      enqueued,
      skipped,
      failed: notFound.length + invalid.length + conflicts.length,
      conflicts: conflicts.length,
    };
    const failedIds: FailedId[] = [
      ...notFound.map((key) => ({ key, reason: FAILED_ID_REASONS.notFound })),
      ...invalid.map((key) => ({ key, reason: FAILED_ID_REASONS.invalid })),
      ...conflicts.map((key) => ({ key, reason: FAILED_ID_REASONS.versionConflict })),
    ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const room = Math.max(0, MAX_RECORDED_FAILED_IDS - job.failedIds.length);
    const committed = await deps.jobs.commitPage(jobId, {
      stream,
      page,
      nextUrl,
      counts,
      failedIds: failedIds.slice(0, room),
    });
    if (!committed) {
      // A concurrent duplicate committed first; its counts stand.
      return { outcome: 'duplicate', counts: ZERO, jobCompleted: await ensureNextEnqueued(message) };
    }
    deps.logger?.info('Backfill page committed', {
      jobId,
      stream,
      page,
      ...counts,
      more: nextUrl !== undefined,
    });
    const jobCompleted = await ensureNextEnqueued(message);
    return { outcome: 'processed', counts, jobCompleted };
  };

  return async (message: WorkMessage, context: { receiveCount?: number } = {}): Promise<WorkOutcome> => {
    try {
      return await processPage(message);
    } catch (error) {
      const receives = context.receiveCount ?? 1;
      if (receives < (deps.maxReceives ?? 5)) throw error;
      // Messages of source errors are written without PHI; other errors are named only.
      const cause = error instanceof SourceError ? error.message : ((error as Error)?.name ?? 'Error');
      return failJob(
        message.jobId,
        `Page ${message.pageNumber + 1} of stream ${message.searchIndex + 1} still failing after ${receives} attempts: ${cause}`,
      );
    }
  };
};

const isResource = (value: FhirResource | undefined): value is FhirResource => value !== undefined;
