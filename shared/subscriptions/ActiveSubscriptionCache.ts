import { criteriaCompiler, CriteriaIndex } from '../criteria/index.js';
import type { CompiledCriteria } from '../criteria/types.js';
import type { FhirResource } from '../fhir/types.js';
import { toOutcome } from '../fhir/outcomes.js';
import { allowedEndpoint } from './endpoints.js';
import { mergeTargets } from './mergeTargets.js';
import type { SubscriptionStore } from './SubscriptionStore.js';
import { toActiveSubscription } from './toActiveSubscription.js';
import type { ActiveSubscription, DeliveryTarget, SubscriptionLogger, SubscriptionVerdict } from './types.js';

/** Default time a loaded set is used before the store is read again. */
export const DEFAULT_SUBSCRIPTION_CACHE_TTL_MS = 5_000;

export interface ActiveSubscriptionCacheOptions {
  readonly store: Pick<SubscriptionStore, 'list'>;
  /** The deployment's allow-list; a stored subscription whose endpoint left it is skipped. */
  readonly allowedEndpoints: readonly string[];
  /** @default 5000 ms */
  readonly ttlMs?: number;
  /** Clock in epoch ms (tests inject one). @default Date.now */
  readonly now?: () => number;
  /** @default shared/criteria compileCriteria, with `sourceEvaluation` */
  readonly compile?: (criteria: string) => CompiledCriteria;
  /**
   * Criteria the source server evaluates are loaded (the deliverer checks them there); without it such
   * Subscriptions are skipped and logged, as criteria that cannot be evaluated. @default false
   */
  readonly sourceEvaluation?: boolean;
  readonly logger?: SubscriptionLogger;
  /** The deployment's retry count, used when merging a subscription that sets none. */
  readonly defaultDeliveryRetryCount?: number;
}

export interface MatchOptions {
  /** Match only this subscription (backfill of one subscription). */
  readonly onlySubscriptionId?: string;
}

interface Entry {
  readonly subscription: ActiveSubscription;
  readonly endMs: number | undefined;
}

interface Snapshot {
  readonly loadedAt: number;
  /** Loaded subscriptions by id, in id order. */
  readonly entries: ReadonlyMap<string, Entry>;
  /** Every loaded subscription's compiled criteria, bucketed by type (shared/criteria). */
  readonly upserts: CriteriaIndex;
  /** Subscriptions with sendDeleteMessages, with criteria reduced to their resource types. */
  readonly deletes: CriteriaIndex;
}

/** The subscription with the criteria the source must confirm, when its criteria need the source. */
const withSourceCriteria = (
  subscription: ActiveSubscription,
  compiled: CompiledCriteria,
): ActiveSubscription => {
  const [type] = compiled.resourceTypes === '*' ? [] : compiled.resourceTypes;
  if (compiled.sourceQuery === undefined || type === undefined) return subscription;
  return { ...subscription, sourceCriteria: [`${type}?${compiled.sourceQuery}`] };
};

/** A delete matches by type alone: the criteria's types (`*` = all but Subscription). */
const typeOnly = (compiled: CompiledCriteria): CompiledCriteria => {
  const types = compiled.resourceTypes;
  return {
    source: compiled.source,
    resourceTypes: types,
    matches:
      types === '*'
        ? (resource) => resource.resourceType !== 'Subscription'
        : (resource) => types.has(resource.resourceType),
  };
};

/**
 * The compiled set of active subscriptions the ingest path matches writes against.
 *
 * - Freshness: the set is reloaded from the store when older than `ttlMs` (default 5 s), so a
 *   change is seen within seconds. Concurrent callers share a single in-flight refresh. A failed
 *   refresh throws (the write is answered 5xx and retried by the producer) rather than matching
 *   against a set of unknown age.
 * - Only stored `active` subscriptions are loaded; one whose criteria no longer compile or whose
 *   endpoint left the allow-list is skipped and logged (id and reason only). `end` is checked at
 *   match time, so a subscription stops matching the instant it expires.
 * - Cost: a write is checked only against subscriptions whose criteria can match its type.
 * - Upserts: the compiled criteria decide. Deletes: only subscriptions with
 *   `sendDeleteMessages`, matched by resource type alone. Search criteria are not evaluated on a
 *   delete, even when the caller passes the last-known resource: an earlier version may have
 *   matched and been replicated, so the delete must follow it (deleting an absent resource in
 *   HealthLake is harmless; leaving a stale copy is not).
 * - Overlaps: one target per distinct endpoint (see `mergeTargets` for the merge rules).
 *
 * @example
 * const cache = new ActiveSubscriptionCache({ store, allowedEndpoints });
 * const targets = await cache.match(resource, 'upsert');
 */
export class ActiveSubscriptionCache {
  private readonly options: ActiveSubscriptionCacheOptions;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private snapshot: Snapshot | undefined;
  private inflight: Promise<Snapshot> | undefined;
  /** Bumped by `invalidate`, so a load that started before a change is not kept. */
  private generation = 0;

  public constructor(options: ActiveSubscriptionCacheOptions) {
    this.options = options;
    this.ttlMs = options.ttlMs ?? DEFAULT_SUBSCRIPTION_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Delivery targets for a write: one per distinct endpoint among the matching subscriptions. */
  public async match(
    resource: FhirResource,
    operation: 'upsert' | 'delete',
    options: MatchOptions = {},
  ): Promise<DeliveryTarget[]> {
    const snapshot = await this.current();
    const now = this.now();
    const index = operation === 'delete' ? snapshot.deletes : snapshot.upserts;
    const matched: ActiveSubscription[] = [];
    const only = options.onlySubscriptionId;
    const ids = only === undefined ? index.match(resource) : index.get(only)?.matches(resource) ? [only] : [];
    for (const id of ids) {
      const entry = snapshot.entries.get(id);
      if (!entry || (entry.endMs !== undefined && entry.endMs <= now)) continue;
      matched.push(entry.subscription);
    }
    return mergeTargets(matched, this.options.defaultDeliveryRetryCount);
  }

  /**
   * Each active Subscription's verdict on a write, in id order, without matching anything for delivery:
   * by default those whose criteria name the resource's type (the troubleshooting log's candidates);
   * with `allTypes`, every one (`$explain-subscriptions`).
   */
  public async explain(
    resource: FhirResource,
    operation: 'upsert' | 'delete',
    options: { readonly allTypes?: boolean } = {},
  ): Promise<SubscriptionVerdict[]> {
    const snapshot = await this.current();
    const now = this.now();
    const verdicts: SubscriptionVerdict[] = [];
    for (const [id, { subscription, endMs }] of snapshot.entries) {
      const compiled = snapshot.upserts.get(id);
      if (!compiled) continue;
      const types = compiled.resourceTypes;
      const ofType =
        types === '*' ? resource.resourceType !== 'Subscription' : types.has(resource.resourceType);
      if (!ofType && options.allTypes !== true) continue;
      const failed = !ofType
        ? 'resourceType'
        : endMs !== undefined && endMs <= now
          ? 'end'
          : operation === 'delete'
            ? subscription.sendDeleteMessages
              ? undefined
              : 'subscription-send-delete-messages'
            : compiled.firstFailure?.(resource);
      const decidedBySource = operation === 'upsert' && !failed ? compiled.sourceParameters : undefined;
      verdicts.push({
        subscriptionId: id,
        criteria: subscription.criteria,
        endpoint: subscription.endpoint,
        matched: failed === undefined,
        ...(failed === undefined ? {} : { failed }),
        ...(decidedBySource === undefined ? {} : { decidedBySource }),
      });
    }
    return verdicts;
  }

  /** The active (loaded and not expired) subscriptions, in id order. */
  public async active(): Promise<ActiveSubscription[]> {
    const snapshot = await this.current();
    const now = this.now();
    return [...snapshot.entries.values()]
      .filter((entry) => entry.endMs === undefined || entry.endMs > now)
      .map((entry) => entry.subscription);
  }

  /** Forgets the loaded set: the next call reloads (the subscription API calls it after a change). */
  public invalidate(): void {
    this.generation += 1;
    this.snapshot = undefined;
    this.inflight = undefined;
  }

  /** Reloads now (sharing a refresh already in flight). */
  public async refresh(): Promise<void> {
    await this.load();
  }

  private async current(): Promise<Snapshot> {
    const snapshot = this.snapshot;
    if (snapshot && this.now() - snapshot.loadedAt < this.ttlMs) return snapshot;
    return this.load();
  }

  private load(): Promise<Snapshot> {
    if (!this.inflight) {
      const generation = this.generation;
      const inflight: Promise<Snapshot> = this.build(this.now()).finally(() => {
        if (this.inflight === inflight) this.inflight = undefined;
      });
      inflight.then(
        (snapshot) => {
          if (this.generation === generation) this.snapshot = snapshot;
        },
        () => undefined,
      );
      this.inflight = inflight;
    }
    return this.inflight;
  }

  private async build(loadedAt: number): Promise<Snapshot> {
    const stored = await this.options.store.list();
    const compile =
      this.options.compile ?? criteriaCompiler({ sourceEvaluation: this.options.sourceEvaluation === true });
    const entries = new Map<string, Entry>();
    const upserts = new CriteriaIndex();
    const deletes = new CriteriaIndex();
    for (const resource of stored) {
      if (resource.status !== 'active') continue;
      try {
        const stored = toActiveSubscription(resource);
        if (allowedEndpoint(stored.endpoint, this.options.allowedEndpoints) === undefined) {
          this.options.logger?.warn('Subscription skipped: endpoint not on the allow-list', {
            subscriptionId: resource.id,
          });
          continue;
        }
        const compiled = compile(stored.criteria);
        const subscription = withSourceCriteria(stored, compiled);
        const endMs = subscription.end === undefined ? undefined : Date.parse(subscription.end);
        entries.set(subscription.id, { subscription, endMs });
        upserts.set(subscription.id, compiled);
        if (subscription.sendDeleteMessages) deletes.set(subscription.id, typeOnly(compiled));
      } catch (error) {
        this.options.logger?.warn('Subscription skipped: it cannot be evaluated', {
          subscriptionId: resource.id,
          outcome: toOutcome(error).issue?.[0]?.code,
        });
      }
    }
    return { loadedAt, entries, upserts, deletes };
  }
}
