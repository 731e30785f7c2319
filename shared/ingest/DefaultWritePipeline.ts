import { isReplicating } from '../replication/replicateId.js';
import { replicationTargetKey } from '../replication/replicationTargetKey.js';
import type { FhirResource } from '../fhir/types.js';
import { resourceKey } from '../fhir/ids.js';
import { DELIVERY_MESSAGE_SCHEMA } from '../messages/deliveryMessage.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import type { ActiveSubscription, SubscriptionVerdict } from '../subscriptions/types.js';
import type { LedgerEntry, RecordResult, VersionLedger } from '../versions/VersionLedger.js';
import { INGEST_DEFAULTS } from './constants.js';
import { contentHash } from './contentHash.js';
import type { TroubleshootingLogger } from './IngestLogger.js';
import type { SubscriptionMatcher } from './SubscriptionMatcher.js';
import type { DeliveryQueue } from './SqsDeliveryQueue.js';
import type { IncomingWrite, WritePipeline, WriteResult } from './types.js';

export interface DefaultWritePipelineDeps {
  readonly ledger: VersionLedger;
  readonly matcher: SubscriptionMatcher;
  readonly queue: DeliveryQueue;
  /** Clock for connector-assigned `meta.lastUpdated` and `trace.ingestedAt` (default `new Date()`). */
  readonly now?: () => Date;
  /** Distinct resources recorded concurrently (default 16); writes to one resource stay in order. */
  readonly recordConcurrency?: number;
  /**
   * The troubleshooting log: at `debug`, each write's matched Subscriptions and, for every other
   * candidate of its type, the first parameter it failed (names, never values).
   */
  readonly troubleshooting?: TroubleshootingLogger;
  /**
   * Largest jump of a numeric `meta.versionId` an ingest write may make past the recorded one without
   * a newer `meta.lastUpdated` of its own (default 1000); a larger one is refused (`refused`). Backfill
   * and reconcile copy the source server's own versions and are not held to it.
   */
  readonly maxVersionJump?: number;
}

interface Recorded {
  readonly write: IncomingWrite;
  readonly result: RecordResult;
  readonly resource?: FhirResource;
  /** The delivery targets of the recorded version (one per endpoint); ignored when stale. */
  readonly targets: readonly ActiveSubscription[];
  /** The source's versionId is already recorded with different content: refuse, never drop. */
  readonly conflict?: boolean;
}

/**
 * The write path shared by ingest and backfill: match subscriptions, record the version with the
 * endpoints it goes to (source-versioned writes keep `meta.versionId`/`lastUpdated`, others get the
 * next connector version and `lastUpdated` = now), and enqueue one message per (endpoint, version),
 * none for a stale write nor for a conflict (a source versionId already recorded with other content).
 * Matching comes first so the ledger entry can say where the version is
 * going: the deliverer skips an older version as superseded only for those endpoints.
 * Resolves only when everything is recorded and enqueued; any failure rejects, and retrying the same
 * writes is safe (a retry is `current` and re-sends the same deduplicated messages).
 *
 * @example
 * const pipeline = new DefaultWritePipeline({ ledger, matcher: subscriptionCache, queue });
 * const [result] = await pipeline.accept([{ operation: 'upsert', resourceType: 'Patient', id: '1', resource, source: 'ingest', requestId }]);
 */
export class DefaultWritePipeline implements WritePipeline {
  private readonly deps: DefaultWritePipelineDeps;

  private readonly maxVersionJump: number;

  public constructor(deps: DefaultWritePipelineDeps) {
    this.deps = deps;
    this.maxVersionJump = deps.maxVersionJump ?? INGEST_DEFAULTS.maxVersionJump;
  }

  public async accept(writes: readonly IncomingWrite[]): Promise<WriteResult[]> {
    const now = (this.deps.now ?? (() => new Date()))();
    const ingestedAt = now.toISOString();
    const recorded = await this.recordAll(writes, ingestedAt);
    const messages: DeliveryMessage[] = [];
    const results: WriteResult[] = [];
    for (const recordedWrite of recorded) {
      const { write, result, resource, conflict } = recordedWrite;
      const delivered = result.status !== 'stale' && result.status !== 'refused' && !conflict;
      const targets = delivered ? recordedWrite.targets : [];
      for (const subscription of targets) {
        messages.push(toMessage(write, result.latest, resource, subscription, ingestedAt));
      }
      results.push({
        status: conflict ? 'conflict' : result.status,
        versionId: result.latest.versionId,
        lastUpdated: result.latest.lastUpdated,
        ...(resource ? { resource } : {}),
        matched: targets.length,
        enqueued: targets.length,
        ...(result.staleWrites === undefined ? {} : { staleWrites: result.staleWrites }),
        ...(result.status === 'refused' ? { maxVersionJump: this.maxVersionJump } : {}),
      });
    }
    await this.deps.queue.enqueue(messages);
    return results;
  }

  /** Records every write; writes to the same resource in their given order, others concurrently. */
  private async recordAll(writes: readonly IncomingWrite[], now: string): Promise<Recorded[]> {
    const byKey = new Map<string, number[]>();
    writes.forEach((write, index) => {
      const key = resourceKey(write.resourceType, write.id);
      const indices = byKey.get(key);
      if (indices) indices.push(index);
      else byKey.set(key, [index]);
    });
    const output = new Array<Recorded>(writes.length);
    const groups = [...byKey.entries()];
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const [key, indices] = groups[next++] as [string, number[]];
        for (const index of indices) {
          output[index] = await this.record(key, writes[index] as IncomingWrite, now);
        }
      }
    };
    const concurrency = Math.max(1, this.deps.recordConcurrency ?? INGEST_DEFAULTS.recordConcurrency);
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
    return output;
  }

  private async record(key: string, write: IncomingWrite, now: string): Promise<Recorded> {
    const { ledger } = this.deps;
    if (write.operation === 'delete' || !write.resource) {
      const targets = await this.targets(write, undefined);
      const result = await ledger.assignNextVersion(key, {
        deleted: true,
        lastUpdated: now,
        endpoints: endpointsOf(targets),
      });
      return { write, result, targets };
    }
    const resource = write.resource;
    const meta = (resource.meta ?? {}) as { versionId?: unknown; lastUpdated?: unknown };
    const hash = contentHash(resource);
    if (typeof meta.versionId === 'string' && meta.versionId !== '') {
      const ownLastUpdated =
        typeof meta.lastUpdated === 'string' && !Number.isNaN(Date.parse(meta.lastUpdated));
      const lastUpdated = ownLastUpdated ? (meta.lastUpdated as string) : now;
      const versioned = withVersion(resource, meta.versionId, lastUpdated);
      const targets = await this.targets(write, versioned);
      const entry: LedgerEntry = {
        versionId: meta.versionId,
        lastUpdated,
        deleted: false,
        contentHash: hash,
        endpoints: endpointsOf(targets),
      };
      // A write-scope caller's version is checked for implausible jumps and its stale writes counted;
      // backfill and reconcile copy the source server's own versions.
      const guard =
        write.source === 'ingest'
          ? { maxVersionJump: this.maxVersionJump, ownLastUpdated, countStale: true }
          : undefined;
      const result = await ledger.recordSourceVersion(key, entry, guard);
      // A `current` version must be a retry: the same id with other content would otherwise share the
      // retry's FIFO deduplication id and vanish. Ledger entries older than content hashes carry none.
      const conflict =
        result.status === 'current' &&
        result.latest.contentHash !== undefined &&
        result.latest.contentHash !== hash;
      return { write, result, resource: versioned, targets, ...(conflict ? { conflict } : {}) };
    }
    // The ledger assigns versionId (which no search parameter reads) and takes `now` as lastUpdated
    // (which `_lastUpdated` reads): match the resource as it will be recorded.
    const targets = await this.targets(write, withLastUpdated(resource, now));
    const result = await ledger.assignNextVersion(key, {
      deleted: false,
      contentHash: hash,
      lastUpdated: now,
      endpoints: endpointsOf(targets),
    });
    const recorded = withVersion(resource, result.latest.versionId, result.latest.lastUpdated);
    // A retry (`current`) keeps the first attempt's lastUpdated: match what is delivered.
    const delivered = result.latest.lastUpdated === now ? targets : await this.targets(write, recorded);
    return { write, result, resource: recorded, targets: delivered };
  }

  /** Writes the troubleshooting line of a write, when the log is at `debug` (and only then works it out). */
  private async troubleshoot(write: IncomingWrite, subject: FhirResource): Promise<void> {
    const log = this.deps.troubleshooting;
    if (!log || log.getLevelName() !== 'DEBUG' || !this.deps.matcher.explain) return;
    const verdicts = await this.deps.matcher.explain(subject, write.operation);
    log.debug('Subscriptions evaluated', troubleshootingLine(write, verdicts));
  }

  private async targets(write: IncomingWrite, resource: FhirResource | undefined) {
    const subject = resource ?? { resourceType: write.resourceType, id: write.id };
    const matched = await this.deps.matcher.match(
      subject,
      write.operation,
      write.onlySubscriptionId === undefined ? undefined : { onlySubscriptionId: write.onlySubscriptionId },
    );
    await this.troubleshoot(write, subject);
    const seen = new Set<string>();
    return matched.filter((subscription) => {
      if (write.onlySubscriptionId !== undefined && subscription.id !== write.onlySubscriptionId)
        return false;
      if (write.operation === 'delete' && !subscription.sendDeleteMessages) return false;
      // One message per target (endpoint and replication) and version, however many subscriptions overlap.
      const key = replicationTargetKey(
        subscription.endpoint,
        subscription.replication,
        subscription.payloadSearchCriteria,
        subscription.transform,
      );
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

/** The troubleshooting log's line for one write: identifiers, Subscription ids and parameter names only. */
const troubleshootingLine = (
  write: IncomingWrite,
  verdicts: readonly SubscriptionVerdict[],
): Record<string, unknown> => ({
  resourceType: write.resourceType,
  id: write.id,
  operation: write.operation,
  source: write.source,
  requestId: write.requestId,
  matched: verdicts.filter((verdict) => verdict.matched).map((verdict) => verdict.subscriptionId),
  notMatched: verdicts
    .filter((verdict) => !verdict.matched)
    .map((verdict) => ({ subscriptionId: verdict.subscriptionId, failed: verdict.failed })),
  decidedBySource: verdicts
    .filter((verdict) => verdict.decidedBySource !== undefined)
    .map((verdict) => ({ subscriptionId: verdict.subscriptionId, parameters: verdict.decidedBySource })),
});

const withLastUpdated = (resource: FhirResource, lastUpdated: string): FhirResource => ({
  ...resource,
  meta: { ...((resource.meta as object | undefined) ?? {}), lastUpdated },
});

/**
 * The targets' keys (endpoints, already normalised by `toActiveSubscription`, plus replication settings
 * where a target rewrites ids), as the deliverer compares them.
 */
const endpointsOf = (targets: readonly ActiveSubscription[]): string[] =>
  targets.map((target) =>
    replicationTargetKey(target.endpoint, target.replication, target.payloadSearchCriteria, target.transform),
  );

const withVersion = (resource: FhirResource, versionId: string, lastUpdated: string): FhirResource => ({
  ...resource,
  meta: { ...((resource.meta as object | undefined) ?? {}), versionId, lastUpdated },
});

const toMessage = (
  write: IncomingWrite,
  version: LedgerEntry,
  resource: FhirResource | undefined,
  subscription: ActiveSubscription,
  ingestedAt: string,
): DeliveryMessage => ({
  schema: DELIVERY_MESSAGE_SCHEMA,
  operation: write.operation,
  resourceType: write.resourceType,
  id: write.id,
  versionId: version.versionId,
  lastUpdated: version.lastUpdated,
  subscription: {
    id: subscription.id,
    endpoint: subscription.endpoint,
    stripVersionIds: subscription.stripVersionIds,
    deliverLatestVersion: subscription.deliverLatestVersion,
    ...(isReplicating(subscription.replication) ? { replication: subscription.replication } : {}),
    ...(subscription.payloadSearchCriteria === undefined
      ? {}
      : { payloadSearchCriteria: subscription.payloadSearchCriteria }),
    ...(subscription.deliveryRetryCount === undefined
      ? {}
      : { maxAttempts: Math.min(1000, Math.max(1, subscription.deliveryRetryCount + 1)) }),
    ...(subscription.sourceCriteria === undefined
      ? {}
      : { sourceCriteria: [...subscription.sourceCriteria] }),
    ...(subscription.transform === undefined ? {} : { transform: subscription.transform }),
  },
  trace: {
    ingestedAt,
    requestId: write.requestId,
    source: write.source,
    ...(write.jobId === undefined ? {} : { jobId: write.jobId }),
  },
  ...(write.operation === 'upsert' && resource
    ? { payload: { kind: 'inline' as const, resource: resource as Record<string, unknown> } }
    : {}),
});
