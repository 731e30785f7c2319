import { checkSourceResource } from '../backfill/checkSourceResource.js';
import { BackfillError, PermanentSourceError } from '../backfill/errors.js';
import type { SourceReader } from '../backfill/source/SourceFhirClient.js';
import type { BackfillLogger, CriteriaCompiler, SubscriptionLookup, WorkQueue } from '../backfill/types.js';
import type { FhirResource } from '../criteria/types.js';
import type { DeliveredVersionsEraser } from '../delivery/DeliveredVersions.js';
import { resourceKey } from '../fhir/ids.js';
import { contentHash } from '../ingest/contentHash.js';
import type { IncomingWrite, WritePipeline } from '../ingest/types.js';
import type { ActiveSubscription } from '../subscriptions/types.js';
import type { VersionLedger } from '../versions/VersionLedger.js';
import { classifyResource, versionOf } from './classifyResource.js';
import { RECONCILE_DEFAULTS, SAMPLES_PER_OUTCOME } from './constants.js';
import { FhirLookup } from './FhirLookup.js';
import type { IdListLine, IdListSink } from './IdListSink.js';
import { planStreams } from './planStreams.js';
import type { ReconcileJobStore } from './ReconcileJobStore.js';
import type { Outcome, ReconcileJob, ReconcileMessage, ReconcileStream, Tally } from './types.js';
import { FINAL_STATES, OUTCOMES } from './types.js';

/** A FHIR server read by reconcile: searches, reads and its CapabilityStatement. */
export type ReconcileReader = SourceReader & { capabilityStatement(): Promise<unknown> };

export interface ReconcileWorkerDeps {
  readonly jobs: ReconcileJobStore;
  readonly subscriptions: SubscriptionLookup;
  readonly queue: WorkQueue<ReconcileMessage>;
  /** The source reader, or a loader called once on first use (credentials come from a secret). */
  readonly source: ReconcileReader | (() => Promise<ReconcileReader>);
  /** A reader of the HealthLake data store at `endpoint` (SigV4 with the customer role). */
  readonly healthLake: (endpoint: string) => SourceReader;
  readonly ledger: Pick<VersionLedger, 'getLatest' | 'resetTo'>;
  readonly delivered: DeliveredVersionsEraser;
  readonly pipeline: WritePipeline;
  readonly compileCriteria: CriteriaCompiler;
  readonly idLists?: IdListSink;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
  /** `_count` of search pages (default 500). */
  readonly pageSize?: number;
  /** `_id` look-ups in flight per page (default 4). */
  readonly lookupConcurrency?: number;
  /** On this receive of a message, an error that would be retried fails the job instead (default 5). */
  readonly maxReceives?: number;
}

export interface ReconcileOutcome {
  readonly outcome: 'processed' | 'planned' | 'duplicate' | 'stopped' | 'failed';
  /** Resources compared by this invocation (both sides). */
  readonly compared: number;
  readonly jobCompleted: boolean;
}

const NOTHING: ReconcileOutcome = { outcome: 'stopped', compared: 0, jobCompleted: false };

/** Collects a page's counts, id-list lines and samples. */
class PageResult {
  public readonly counts: Record<string, Partial<Tally>> = {};
  public readonly lines: IdListLine[] = [];
  public compared = 0;

  public add(outcome: Outcome, resourceType: string, id: string): void {
    const tally = (this.counts[resourceType] ??= {});
    tally[outcome] = (tally[outcome] ?? 0) + 1;
    if (outcome !== 'inSync') this.lines.push({ outcome, resourceType, id });
  }

  public total(outcome: Outcome): number {
    return Object.values(this.counts).reduce((sum, tally) => sum + (tally[outcome] ?? 0), 0);
  }

  /** Sample keys for outcomes whose samples on the job are not full yet. */
  public samples(existing: readonly string[]): string[] {
    const have = new Map<string, number>();
    for (const sample of existing) {
      const outcome = sample.slice(0, sample.indexOf(' '));
      have.set(outcome, (have.get(outcome) ?? 0) + 1);
    }
    const picked: string[] = [];
    for (const line of this.lines) {
      const count = have.get(line.outcome) ?? 0;
      if (count >= SAMPLES_PER_OUTCOME) continue;
      have.set(line.outcome, count + 1);
      picked.push(`${line.outcome} ${line.resourceType}/${line.id}`);
    }
    return picked;
  }
}

const totalOf = (job: ReconcileJob, outcome: Outcome): number =>
  Object.values(job.counts).reduce((sum, tally) => sum + tally[outcome], 0);

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
  const matchers = new Map<string, ReturnType<CriteriaCompiler>>();
  const healthLakeLookups = new Map<string, FhirLookup>();
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
  const healthLakeOf = (endpoint: string): FhirLookup => {
    let lookup = healthLakeLookups.get(endpoint);
    if (!lookup) {
      lookup = new FhirLookup(deps.healthLake(endpoint));
      healthLakeLookups.set(endpoint, lookup);
    }
    return lookup;
  };
  const matcherOf = (criteria: string) => {
    let matcher = matchers.get(criteria);
    if (!matcher) {
      matcher = deps.compileCriteria(criteria);
      matchers.set(criteria, matcher);
    }
    return matcher;
  };

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

  /** Repairs missing/stale source resources: reset pinned ledger entries, then accept the writes. */
  const repair = async (
    job: ReconcileJob,
    subscription: ActiveSubscription,
    resourceType: string,
    toRepair: readonly { id: string; pinned: boolean; resource: FhirResource }[],
    elements: boolean,
    requestId: string,
    result: PageResult,
  ): Promise<void> => {
    if (toRepair.length === 0) return;
    const source = await getSource();
    const full = elements
      ? await source.byIds(
          resourceType,
          toRepair.map((item) => item.id),
          { elements: false, concurrency },
        )
      : new Map(toRepair.map((item) => [item.id, item.resource]));
    const ledgerEntries = await deps.ledger.getLatest(
      toRepair.map((item) => resourceKey(resourceType, item.id)),
    );
    const writes: IncomingWrite[] = [];
    const resetKeys = new Set<string>();
    for (const item of toRepair) {
      const read = full.get(item.id);
      if (!read) continue; // deleted on the source meanwhile
      // The checks backfill applies to what it reads. Not the structure validator: its definitions
      // ship with ingest and backfill only.
      const check = checkSourceResource(read, {
        validate: false,
        expected: { resourceType, id: item.id },
        ...(deps.now ? { now: deps.now } : {}),
      });
      if (!check.ok) {
        result.add('invalidAtSource', resourceType, item.id);
        continue;
      }
      const resource = check.resource;
      const key = resourceKey(resourceType, item.id);
      const version = versionOf(resource);
      const latest = ledgerEntries.get(key);
      if (item.pinned && version && latest) {
        const reset = await deps.ledger.resetTo(
          key,
          {
            ...version,
            deleted: false,
            contentHash: contentHash(resource),
            endpoints: [subscription.endpoint],
          },
          latest,
        );
        if (reset) {
          await deps.delivered.forget({ resourceKey: key, endpoint: subscription.endpoint });
          resetKeys.add(key);
        }
      }
      writes.push({
        operation: 'upsert',
        resourceType,
        id: item.id,
        resource,
        source: 'reconcile',
        requestId,
        jobId: job.jobId,
        onlySubscriptionId: job.subscriptionId,
      });
    }
    if (writes.length === 0) return;
    const results = await deps.pipeline.accept(writes);
    results.forEach((written, index) => {
      const write = writes[index] as IncomingWrite;
      if (written.enqueued === 0) return;
      result.add('repaired', resourceType, write.id);
      if (resetKeys.has(resourceKey(resourceType, write.id)))
        result.add('pinnedReset', resourceType, write.id);
    });
  };

  /** Classifies source resources against HealthLake and the ledger; repairs in repair modes. */
  const compareSourceResources = async (
    job: ReconcileJob,
    subscription: ActiveSubscription,
    resourceType: string,
    resources: readonly FhirResource[],
    healthLake: FhirLookup,
    elements: boolean,
    requestId: string,
    result: PageResult,
  ): Promise<void> => {
    if (resources.length === 0) return;
    const ids = resources.map((resource) => resource.id as string);
    const [copies, ledger] = await Promise.all([
      healthLake.byIds(resourceType, ids, { elements: !job.contentHash, concurrency }),
      deps.ledger.getLatest(ids.map((id) => resourceKey(resourceType, id))),
    ]);
    const toRepair: { id: string; pinned: boolean; resource: FhirResource }[] = [];
    for (const resource of resources) {
      const id = resource.id as string;
      const { outcome, pinned } = classifyResource(
        resource,
        copies.get(id),
        ledger.get(resourceKey(resourceType, id)),
        job.contentHash,
      );
      result.add(outcome, resourceType, id);
      if (pinned) result.add('pinned', resourceType, id);
      if (outcome !== 'inSync') toRepair.push({ id, pinned, resource });
      result.compared += 1;
    }
    if (job.mode !== 'compare') {
      await repair(job, subscription, resourceType, toRepair, elements, requestId, result);
    }
  };

  /** Counts HealthLake resources absent from the source; prunes them in repair-and-prune. */
  const findOrphans = async (
    job: ReconcileJob,
    resourceType: string,
    copies: readonly FhirResource[],
    sourceIds: ReadonlySet<string>,
    requestId: string,
    result: PageResult,
  ): Promise<string | undefined> => {
    const orphans = copies
      .filter((copy) => !sourceIds.has(copy.id as string))
      .map((copy) => copy.id as string);
    for (const id of orphans) result.add('onlyInHealthLake', resourceType, id);
    if (job.mode !== 'repair-and-prune' || orphans.length === 0) return undefined;
    const confirmed = job.pruneConfirmation ?? 0;
    const already = totalOf(job, 'pruned');
    if (already + result.total('pruned') + orphans.length > confirmed) {
      return `More resources only in HealthLake than the ${confirmed} confirmed; pruning stopped`;
    }
    const writes: IncomingWrite[] = orphans.map((id) => ({
      operation: 'delete',
      resourceType,
      id,
      source: 'reconcile',
      requestId,
      jobId: job.jobId,
      onlySubscriptionId: job.subscriptionId,
    }));
    const results = await deps.pipeline.accept(writes);
    results.forEach((written, index) => {
      if (written.enqueued > 0) result.add('pruned', resourceType, (writes[index] as IncomingWrite).id);
    });
    return undefined;
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
        for (const [type, ids] of byType) {
          const [present, copies] = await Promise.all([
            source.byIds(type, ids, { elements, concurrency }),
            healthLake.byIds(type, ids, { elements: !job.contentHash && elements, concurrency }),
          ]);
          const matching = [...present.values()].filter((resource) => matcher.matches(resource));
          await compareSourceResources(
            job,
            subscription,
            type,
            matching,
            healthLake,
            elements,
            requestId,
            result,
          );
          const orphanCandidates = [...copies.values()].filter(
            (copy) => !present.has(copy.id as string) && matcher.matches(copy),
          );
          stopReason ??= await findOrphans(
            job,
            type,
            orphanCandidates,
            new Set(present.keys()),
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
            job,
            subscription,
            type,
            resources,
            healthLake,
            elements,
            requestId,
            result,
          );
        } else {
          const present = await source.byIds(
            type,
            resources.map((resource) => resource.id as string),
            { elements: true, concurrency },
          );
          result.compared += resources.length;
          stopReason = await findOrphans(job, type, resources, new Set(present.keys()), requestId, result);
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
      const cause = error instanceof BackfillError ? error.message : ((error as Error)?.name ?? 'Error');
      const where =
        message.task === 'plan' ? 'Planning' : `Page ${message.page + 1} of stream ${message.stream + 1}`;
      return failJob(message.jobId, `${where} still failing after ${receives} attempts: ${cause}`);
    }
  };
};
