import { PermanentSourceError, SourceError } from '../fhirClient/errors.js';
import { MAX_COMPILED_CRITERIA } from '../backfill/constants.js';
import { ReplicationError } from '../replication/errors.js';
import type { CriteriaCompiler } from '../backfill/types.js';
import { BoundedCache } from '../cache/BoundedCache.js';
import type { ActiveSubscription } from '../subscriptions/types.js';
import { MAX_HEALTHLAKE_READERS, RECONCILE_DEFAULTS } from './constants.js';
import { FhirLookup } from './FhirLookup.js';
import { IdSpace } from './IdSpace.js';
import type { PageContext, ReconcileReader, ReconcileWorkerDeps } from './PageContext.js';
import { PageResult } from './PageResult.js';
import { planStreams } from './planStreams.js';
import { findOrphans } from './prune.js';
import { compareSourceResources } from './repair.js';
import type { ReconcileJob, ReconcileMessage, ReconcileStream } from './types.js';
import { FINAL_STATES, OUTCOMES } from './types.js';

export interface ReconcileOutcome {
  readonly outcome: 'processed' | 'planned' | 'duplicate' | 'stopped' | 'failed';
  /** Resources compared by this invocation (both sides). */
  readonly compared: number;
  readonly jobCompleted: boolean;
}

const NOTHING: ReconcileOutcome = { outcome: 'stopped', compared: 0, jobCompleted: false };

/**
 * Creates the reconcile worker's unit of work: the `plan` message of a job (resolve the types,
 * create the streams, enqueue their first pages) or one page of one stream.
 *
 * A page: (1) stop if the job is final (cancel takes effect before the next page); (2) if the cursor
 * is past the page, only make sure the next page is enqueued; (3) read the page from one side and
 * look its ids up on the other side and in the ledger; (4) classify; (5) in repair modes, re-deliver
 * missing and stale resources through the WritePipeline (resetting pinned ledger entries first) and,
 * in repair-and-prune, delete resources only HealthLake holds, as deletes through the pipeline;
 * (6) write the page's id list; (7) commit the page with a conditional write (exactly-once counts);
 * (8) enqueue the next page. A crash redoes at most this page; repeated repairs are absorbed by the
 * ledger (`current`) and by FIFO deduplication within the job.
 *
 * @example
 * const process = createReconcileProcessor(deps);
 * await process(parseReconcileMessage(record.body));
 */
export const createReconcileProcessor = (deps: ReconcileWorkerDeps) => {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const pageSize = deps.pageSize ?? RECONCILE_DEFAULTS.pageSize;
  const concurrency = deps.lookupConcurrency ?? 4;
  // Per worker instance, the recently used ones only: subscriptions and endpoints change over its life.
  const matchers = new BoundedCache<string, ReturnType<CriteriaCompiler>>(
    deps.maxCompiledCriteria ?? MAX_COMPILED_CRITERIA,
  );
  const healthLakeLookups = new BoundedCache<string, FhirLookup>(
    deps.maxHealthLakeReaders ?? MAX_HEALTHLAKE_READERS,
  );
  let sourcePromise: Promise<FhirLookup> | undefined;
  const getSource = (): Promise<FhirLookup> => {
    const source = deps.source;
    if (typeof source !== 'function') {
      sourcePromise ??= Promise.resolve(new FhirLookup(source));
      return sourcePromise;
    }
    sourcePromise ??= source().then(
      (reader) => new FhirLookup(reader),
      (error: unknown) => {
        sourcePromise = undefined;
        throw error;
      },
    );
    return sourcePromise;
  };
  const context: PageContext = { deps, source: getSource, concurrency };
  const healthLakeOf = (endpoint: string): FhirLookup =>
    healthLakeLookups.getOrCreate(endpoint, () => new FhirLookup(deps.healthLake(endpoint)));
  const matcherOf = (criteria: string) =>
    matchers.getOrCreate(criteria, () => deps.compileCriteria(criteria));

  const failJob = async (jobId: string, reason: string): Promise<ReconcileOutcome> => {
    await deps.jobs.finish(jobId, 'failed', reason, now());
    deps.logger?.error('Reconcile job failed', { jobId, reason });
    return { outcome: 'failed', compared: 0, jobCompleted: false };
  };

  const activeSubscription = async (job: ReconcileJob): Promise<ActiveSubscription | undefined> => {
    const found = await deps.subscriptions.getSubscription(job.subscriptionId);
    return found?.status === 'active' ? found.active : undefined;
  };

  const enqueueFirstPages = async (job: ReconcileJob): Promise<void> => {
    const messages: ReconcileMessage[] = job.streams.flatMap((stream, index) =>
      stream.page === -1 ? [{ jobId: job.jobId, task: 'page' as const, stream: index, page: 0 }] : [],
    );
    await deps.queue.send(messages);
  };

  const plan = async (jobId: string): Promise<ReconcileOutcome> => {
    const job = await deps.jobs.get(jobId);
    if (!job || FINAL_STATES.has(job.state)) return NOTHING;
    if (job.planned) {
      // A redelivered plan message: the first pages may not all have been sent.
      await enqueueFirstPages(job);
      return {
        outcome: 'duplicate',
        compared: 0,
        jobCompleted: await deps.jobs.completeIfDone(jobId, now()),
      };
    }
    const subscription = await activeSubscription(job);
    if (!subscription) return failJob(jobId, `Subscription ${job.subscriptionId} is no longer active`);
    const source = await getSource();
    let streams: ReconcileStream[];
    try {
      streams = await planStreams(job, matcherOf(subscription.criteria).resourceTypes, () =>
        (source.reader as ReconcileReader).capabilityStatement(),
      );
    } catch (error) {
      if (error instanceof PermanentSourceError)
        return failJob(jobId, `Source error while planning: ${error.message}`);
      throw error;
    }
    if (await deps.jobs.plan(jobId, streams, now())) {
      deps.logger?.info('Reconcile job planned', { jobId, streams: streams.length });
    }
    const planned = await deps.jobs.get(jobId);
    if (planned && !FINAL_STATES.has(planned.state)) await enqueueFirstPages(planned);
    return { outcome: 'planned', compared: 0, jobCompleted: await deps.jobs.completeIfDone(jobId, now()) };
  };

  const ensureNextEnqueued = async (jobId: string, streamIndex: number, page: number): Promise<boolean> => {
    const job = await deps.jobs.get(jobId);
    const cursor = job?.streams[streamIndex];
    if (!job || !cursor || FINAL_STATES.has(job.state)) return false;
    if (cursor.page === page && !cursor.nextEnqueued && cursor.nextUrl !== undefined) {
      await deps.queue.send([
        { jobId, task: 'page', stream: streamIndex, page: page + 1, url: cursor.nextUrl },
      ]);
      await deps.jobs.markNextEnqueued(jobId, streamIndex, page);
    }
    return cursor.done ? deps.jobs.completeIfDone(jobId, now()) : false;
  };

  const processPage = async (
    message: Extract<ReconcileMessage, { task: 'page' }>,
  ): Promise<ReconcileOutcome> => {
    const { jobId, stream: streamIndex, page } = message;
    const job = await deps.jobs.get(jobId);
    const cursor = job?.streams[streamIndex];
    if (!job || !cursor) {
      deps.logger?.warn('Reconcile message for an unknown job or stream', {
        jobId,
        stream: streamIndex,
        page,
      });
      return NOTHING;
    }
    if (FINAL_STATES.has(job.state)) return NOTHING;
    if (cursor.page >= page) {
      return {
        outcome: 'duplicate',
        compared: 0,
        jobCompleted: await ensureNextEnqueued(jobId, streamIndex, page),
      };
    }
    if (cursor.page < page - 1) {
      deps.logger?.error('Reconcile page ahead of its stream cursor; dropped', {
        jobId,
        stream: streamIndex,
        page,
      });
      return NOTHING;
    }
    const subscription = await activeSubscription(job);
    if (!subscription) return failJob(jobId, `Subscription ${job.subscriptionId} is no longer active`);
    const matcher = matcherOf(subscription.criteria);
    let ids: IdSpace;
    try {
      ids = new IdSpace(subscription.replication);
    } catch (error) {
      if (error instanceof ReplicationError) return failJob(jobId, error.message);
      throw error;
    }
    // Ids and metadata suffice unless the criteria or a content comparison read the content.
    const elements = !job.contentHash && !subscription.criteria.includes('?');
    const source = await getSource();
    const healthLake = healthLakeOf(subscription.endpoint);
    const requestId = `reconcile:${jobId}:${streamIndex}:${page}`;
    const result = new PageResult();
    let nextUrl: string | undefined;
    let stopReason: string | undefined;

    try {
      if (cursor.side === 'ids') {
        const keys = job.scope.resourceIds.slice(
          cursor.idStart ?? 0,
          (cursor.idStart ?? 0) + (cursor.idCount ?? 0),
        );
        const byType = new Map<string, string[]>();
        for (const key of keys) {
          const [type, id] = key.split('/') as [string, string];
          byType.set(type, [...(byType.get(type) ?? []), id]);
        }
        for (const [type, sourceIds] of byType) {
          // `resourceId`s name source ids; HealthLake holds them under their replicated ids.
          const absent = (present: ReadonlyMap<string, unknown>) =>
            sourceIds.filter((id) => !present.has(id)).map((id) => ids.toHealthLake(type, id));
          const present = await source.byIds(type, sourceIds, { elements, concurrency });
          const matching = [...present.values()].filter((resource) => matcher.matches(resource));
          await compareSourceResources(
            context,
            job,
            subscription,
            type,
            matching,
            healthLake,
            ids,
            elements,
            requestId,
            result,
          );
          const lookFor = absent(present).filter((id): id is string => id !== undefined);
          const copies =
            lookFor.length === 0
              ? new Map()
              : await healthLake.byIds(type, lookFor, {
                  elements: !job.contentHash && elements,
                  concurrency,
                });
          const orphanCandidates = [...copies.values()].filter((copy) => matcher.matches(copy));
          if (stopReason) continue;
          stopReason = await findOrphans(
            context,
            job,
            type,
            orphanCandidates,
            ids,
            { stream: streamIndex, page, resourceType: type },
            requestId,
            result,
          );
        }
      } else {
        const type = cursor.resourceType as string;
        const side = cursor.side === 'source' ? source : healthLake;
        const url =
          page === 0
            ? side.firstPageUrl(cursor.query as string, { elements, pageSize })
            : (message.url as string);
        const found = await side.page(url);
        nextUrl = found.nextUrl;
        const resources = found.resources.filter(
          (resource) =>
            resource.resourceType === type && typeof resource.id === 'string' && matcher.matches(resource),
        );
        if (cursor.side === 'source') {
          await compareSourceResources(
            context,
            job,
            subscription,
            type,
            resources,
            healthLake,
            ids,
            elements,
            requestId,
            result,
          );
        } else {
          stopReason = await findOrphans(
            context,
            job,
            type,
            resources,
            ids,
            { stream: streamIndex, page, resourceType: type },
            requestId,
            result,
          );
        }
      }
    } catch (error) {
      if (error instanceof PermanentSourceError) {
        return failJob(jobId, `Read error on stream ${streamIndex + 1}, page ${page + 1}: ${error.message}`);
      }
      throw error;
    }
    if (stopReason) return failJob(jobId, stopReason);

    await deps.idLists?.write(jobId, streamIndex, page, result.lines);
    const committed = await deps.jobs.commitPage(jobId, {
      stream: streamIndex,
      page,
      ...(nextUrl === undefined ? {} : { nextUrl }),
      counts: result.counts,
      samples: result.samples(job.samples),
    });
    if (!committed) {
      return {
        outcome: 'duplicate',
        compared: 0,
        jobCompleted: await ensureNextEnqueued(jobId, streamIndex, page),
      };
    }
    deps.logger?.info('Reconcile page committed', {
      jobId,
      stream: streamIndex,
      page,
      compared: result.compared,
      ...Object.fromEntries(OUTCOMES.map((outcome) => [outcome, result.total(outcome)])),
      more: nextUrl !== undefined,
    });
    const jobCompleted = await ensureNextEnqueued(jobId, streamIndex, page);
    return { outcome: 'processed', compared: result.compared, jobCompleted };
  };

  return async (
    message: ReconcileMessage,
    context: { receiveCount?: number } = {},
  ): Promise<ReconcileOutcome> => {
    try {
      return message.task === 'plan' ? await plan(message.jobId) : await processPage(message);
    } catch (error) {
      const receives = context.receiveCount ?? 1;
      if (receives < (deps.maxReceives ?? 5)) throw error;
      const cause = error instanceof SourceError ? error.message : ((error as Error)?.name ?? 'Error');
      const where =
        message.task === 'plan' ? 'Planning' : `Page ${message.page + 1} of stream ${message.stream + 1}`;
      return failJob(message.jobId, `${where} still failing after ${receives} attempts: ${cause}`);
    }
  };
};
