import { BoundedCache } from '../cache/BoundedCache.js';
import type { IncomingWrite, WritePipeline } from '../ingest/types.js';
import { checkSourceResource, type SourceCheck } from '../ingest/checkSourceResource.js';
import { mapBounded } from './mapBounded.js';
import {
  invalid,
  readCurrent,
  readEventsPage,
  readHistoryPage,
  type PageContext,
  type ResourceCheck,
} from './notificationPages.js';
import { MAX_COMPILED_CRITERIA, MAX_RECORDED_FAILED_IDS } from './constants.js';
import { SourceError, PermanentSourceError, TransientSourceError } from '../fhirClient/errors.js';
import {
  readDeadLetter,
  worthRetrying,
  type ReadDeadLetterQueue,
  type RereadMessage,
} from './readDeadLetters.js';
import { acceptWrites, writesOf } from './acceptReads.js';
import type { JobStore } from './JobStore.js';
import type { ResourceRef } from '../notifications/types.js';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import type {
  BackfillJob,
  BackfillLogger,
  CriteriaCompiler,
  FailedId,
  JobCounts,
  PageRead,
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
  /** Called once when a notification job completes (the source subscription counts its gaps repaired). */
  readonly onNotificationJobCompleted?: (job: BackfillJob) => Promise<void>;
  /** Compiled criteria kept by this worker instance (the recently used). @default MAX_COMPILED_CRITERIA (100) */
  readonly maxCompiledCriteria?: number;
  /**
   * Where a notification job's reads that keep failing go (the backfill DLQ), so the rest of the job
   * goes on. Without it, such a read fails the whole job (its cause on the job), as a search page does.
   */
  readonly deadLetters?: ReadDeadLetterQueue;
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
  /** Reads of this page given up and dead-lettered with their cause (absent when none). */
  readonly readsDeadLettered?: number;
}

/** A work message's `Type/id` key as the reference the readers take. */
const refOf = (key: string): ResourceRef => ({
  resourceType: key.slice(0, key.indexOf('/')),
  id: key.slice(key.indexOf('/') + 1),
});

const ZERO: JobCounts = { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 };

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
  const nowMs = () => (deps.now ?? (() => new Date()))().getTime();
  const now = () => new Date(nowMs()).toISOString();
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
          task: cursor.kind === 'history' ? 'history' : 'search',
          searchIndex: message.searchIndex,
          pageUrl: cursor.nextUrl,
          pageNumber: cursor.page + 1,
        },
      ]);
      await deps.jobs.markNextEnqueued(job.jobId, message.searchIndex, cursor.page);
    }
    const completed = cursor.done ? await deps.jobs.completeIfDone(job.jobId, now()) : false;
    if (completed && job.notification) await deps.onNotificationJobCompleted?.(job);
    return completed;
  };

  const failJob = async (jobId: string, reason: string): Promise<WorkOutcome> => {
    await deps.jobs.finish(jobId, 'failed', reason, now());
    deps.logger?.error('Backfill job failed', { jobId, reason });
    return { outcome: 'failed', counts: ZERO, jobCompleted: false };
  };

  /** The matcher of a backfill's Subscription, or null when it is no longer active. */
  const subscriptionMatcher = async (job: BackfillJob) => {
    const subscription = await deps.subscriptions.getSubscription(job.subscriptionId ?? '');
    if (subscription?.status !== 'active' || !subscription.active) return null;
    const criteria = subscription.active.criteria;
    return matchers.getOrCreate(criteria, () => deps.compileCriteria(criteria));
  };

  /** One page from the source, as the message's task reads it. */
  const readPage = async (
    message: WorkMessage,
    job: BackfillJob,
    source: SourceReader,
    check: ResourceCheck,
  ): Promise<PageRead> => {
    const context = { source, check, concurrency: deps.readConcurrency ?? 8 };
    const first = message.pageNumber === 0;
    switch (message.task) {
      case 'events':
        return readEventsPage(
          source.resolveUrl?.(message.pageUrl) ?? message.pageUrl,
          job.notification?.missing ?? [],
          context,
        );
      case 'history': {
        const url = first ? (source.resolveUrl?.(message.pageUrl) ?? message.pageUrl) : message.pageUrl;
        // The type from the stream as the job stored it: a later page's URL is the source's own link.
        const searchUrl = job.streams[message.searchIndex]?.searchUrl ?? '';
        return readHistoryPage(url, searchUrl.slice(0, searchUrl.indexOf('/')), context);
      }
      case 'ids':
      case 'reread': {
        const refs = message.ids.map(refOf);
        if (job.notification) return readCurrent(refs, context);
        return readSubscriptionIds(refs, context);
      }
      case 'search': {
        const type = message.pageUrl.slice(0, message.pageUrl.indexOf('?'));
        if (message.ifSourceSearchable && !(await sourceSearchable(source)).has(type)) {
          return { upserts: [], deletes: [], failedIds: [], read: 0 }; // not searchable: completes empty
        }
        const result = await source.searchPage(
          first ? source.resolveSearchUrl(message.pageUrl) : message.pageUrl,
        );
        const checks = result.resources.map((resource) => check(resource));
        return {
          upserts: checks.flatMap((item) => (item.ok ? [item.resource] : [])),
          deletes: [],
          failedIds: checks.flatMap((item) => (item.ok ? [] : [invalid(item.failedId)])),
          read: checks.length,
          ...(result.nextUrl === undefined ? {} : { nextUrl: result.nextUrl }),
        };
      }
    }
  };

  /** A backfill's resourceIds: one not on the source counts as failed (it asked for something absent). */
  const readSubscriptionIds = async (
    refs: readonly { resourceType: string; id: string }[],
    context: PageContext,
  ): Promise<PageRead> => {
    const checks = await mapBounded(refs, context.concurrency, async (ref) => {
      const resource = await context.source.read(ref.resourceType, ref.id);
      return resource === undefined
        ? ({ ok: false, failedId: `${ref.resourceType}/${ref.id}`, found: false } as const)
        : { ...context.check(resource, ref), found: true };
    });
    return {
      upserts: checks.flatMap((item) => (item.ok ? [item.resource] : [])),
      deletes: [],
      failedIds: checks.flatMap((item) =>
        item.ok
          ? []
          : [
              item.found
                ? invalid(item.failedId)
                : { key: item.failedId, reason: FAILED_ID_REASONS.notFound },
            ],
      ),
      read: checks.filter((item) => item.found).length,
    };
  };

  /**
   * After an `$events` page: run the job's standby history streams (the source could not give every
   * missed event), or close them (it did). Both are safe to repeat.
   */
  const settleStandby = async (job: BackfillJob, standby: 'run' | 'skip'): Promise<void> => {
    const waiting = job.streams
      .map((cursor, index) => ({ cursor, index }))
      .filter(({ cursor }) => cursor.kind === 'history' && cursor.page === -1 && !cursor.nextEnqueued);
    for (const { cursor, index } of waiting) {
      if (standby === 'skip') {
        await deps.jobs.commitPage(job.jobId, { stream: index, page: 0, counts: ZERO, failedIds: [] });
        continue;
      }
      await deps.queue.send([
        {
          jobId: job.jobId,
          task: 'history',
          searchIndex: index,
          pageUrl: cursor.searchUrl ?? '',
          pageNumber: 0,
        },
      ]);
      await deps.jobs.markNextEnqueued(job.jobId, index, -1);
    }
  };

  const acceptAll = (writes: readonly IncomingWrite[], jobId: string) =>
    acceptWrites(writes, { pipeline: deps.pipeline, chunkSize, jobId, logger: deps.logger });

  const sourceCheck = (value: unknown, expected?: { resourceType: string; id: string }): SourceCheck =>
    checkSourceResource(value, {
      ...(deps.validateResources === undefined ? {} : { validate: deps.validateResources }),
      ...(deps.now ? { now: deps.now } : {}),
      ...(expected ? { expected } : {}),
    });

  /**
   * A dead-lettered read, redriven: read again as the source has it now and replicated against every
   * active Subscription, as its notification job would have. Still failing, it is retried, then
   * dead-lettered again with its new cause; the job it came from has finished and stays as it is.
   */
  const reread = async (message: RereadMessage, receives: number): Promise<WorkOutcome> => {
    const { jobId, searchIndex: stream } = message;
    const refs = message.ids.map(refOf);
    const context = { source: await getSource(), check: sourceCheck, concurrency: deps.readConcurrency ?? 8 };
    const read = await readCurrent(refs, context);
    const maxReceives = deps.maxReceives ?? 5;
    const unreadable = read.unreadable ?? [];
    if (!deps.deadLetters && unreadable[0]) throw unreadable[0].error; // SQS keeps it in the DLQ
    if (unreadable.some((item) => worthRetrying(item, receives, maxReceives))) {
      throw new TransientSourceError(`${unreadable.length} redriven read(s) failing on receive ${receives}`);
    }
    const writes = writesOf(read.upserts, read.deletes, { requestId: `reread:${jobId}:${stream}`, jobId });
    const accepted = await acceptAll(writes, jobId);
    const letters = unreadable.map((item) =>
      readDeadLetter({ jobId, stream, unreadable: item, receives, maxReceives, now: nowMs() }),
    );
    if (letters.length > 0) await deps.deadLetters?.send(letters);
    deps.logger?.info('Redriven source read processed', {
      jobId,
      stream,
      read: read.read,
      enqueued: accepted.enqueued,
      deadLettered: letters.length,
    });
    return {
      outcome: 'processed',
      counts: {
        read: read.read,
        matched: accepted.matchedWrites,
        enqueued: accepted.enqueued,
        skipped: accepted.skipped,
        failed: read.failedIds.length + accepted.conflicts.length + letters.length,
        conflicts: accepted.conflicts.length,
      },
      jobCompleted: false,
      ...(letters.length > 0 ? { readsDeadLettered: letters.length } : {}),
    };
  };

  const processPage = async (message: WorkMessage, receives: number): Promise<WorkOutcome> => {
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

    const matcher = job.notification ? undefined : await subscriptionMatcher(job);
    if (matcher === null) return failJob(jobId, `Subscription ${job.subscriptionId} is no longer active`);

    const check = sourceCheck;
    const source = await getSource();
    let read: PageRead;
    try {
      read = await readPage(message, job, source, check);
      // Without a dead-letter queue, a read that fails fails the page as any source error does.
      if (!deps.deadLetters && read.unreadable?.[0]) throw read.unreadable[0].error;
    } catch (error) {
      if (error instanceof PermanentSourceError) {
        return failJob(
          jobId,
          `Source error on stream ${stream + 1} (${message.task}), page ${page + 1}: ${error.message}`,
        );
      }
      throw error;
    }
    // Before the commit, so a redelivered page settles its standby streams again (both idempotent).
    if (read.standby) await settleStandby(job, read.standby);

    const requestId = `backfill:${jobId}:${stream}:${page}`;
    const upserts = matcher ? read.upserts.filter((resource) => matcher.matches(resource)) : read.upserts;
    const writes = writesOf(upserts, read.deletes, { requestId, jobId, subscriptionId: job.subscriptionId });
    const unreadable = read.unreadable ?? [];
    const maxReceives = deps.maxReceives ?? 5;
    if (unreadable.some((item) => worthRetrying(item, receives, maxReceives))) {
      // What was read goes on now; the page is redelivered for the reads that failed (the whole page
      // is read again then: the current state wins, and accepting a version again is harmless).
      await acceptAll(writes, jobId);
      throw new TransientSourceError(
        `${unreadable.length} of the page's reads failing on receive ${receives}; retried`,
      );
    }
    const { enqueued, skipped, matchedWrites, conflicts } = await acceptAll(writes, jobId);
    // Given up: each dead-lettered with its cause before the commit, so none is lost to a crash.
    const deadLetters = unreadable.map((item) =>
      readDeadLetter({ jobId, stream, unreadable: item, receives, maxReceives, now: nowMs() }),
    );
    if (deadLetters.length > 0) {
      await deps.deadLetters?.send(deadLetters);
      for (const letter of deadLetters) {
        deps.logger?.warn('Source read given up and dead-lettered', {
          jobId,
          stream,
          resource: letter.message.ids[0],
          status: letter.cause.status,
          errorType: letter.cause.errorType,
          attempts: receives,
        });
      }
    }
    const deadLettered: FailedId[] = deadLetters.map((letter) => ({
      key: letter.message.ids[0] ?? '',
      reason: FAILED_ID_REASONS.deadLettered,
    }));
    const nextUrl = read.nextUrl;
    const counts: JobCounts = {
      read: read.read,
      // A subscription's backfill counts what its criteria matched; a notification job what any did.
      matched: matcher ? upserts.length : matchedWrites,
      enqueued,
      skipped,
      failed: read.failedIds.length + conflicts.length + deadLettered.length,
      conflicts: conflicts.length,
    };
    const failedIds: FailedId[] = [...read.failedIds, ...conflicts, ...deadLettered].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
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
    return {
      outcome: 'processed',
      counts,
      jobCompleted,
      ...(deadLettered.length > 0 ? { readsDeadLettered: deadLettered.length } : {}),
    };
  };

  return async (message: WorkMessage, context: { receiveCount?: number } = {}): Promise<WorkOutcome> => {
    const receives = context.receiveCount ?? 1;
    // A redriven dead letter belongs to a finished job: it never fails it (SQS keeps it on failure).
    if (message.task === 'reread') return reread(message, receives);
    try {
      return await processPage(message, receives);
    } catch (error) {
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
