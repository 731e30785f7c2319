import type { ReplicationSettings } from '../replication/types.js';

/**
 * A Subscription as the ingest path uses it: validated, with its channel extensions resolved.
 * Produced from the stored FHIR Subscription resource by the subscriptions module.
 */
export interface ActiveSubscription {
  readonly id: string;
  /** `[*]`, `[Type1,Type2]` or `Type?params`, as submitted. */
  readonly criteria: string;
  /** HealthLake data store base URL (`.../datastore/{id}/r4/`), on the deployment's allow-list. */
  readonly endpoint: string;
  /** Extension subscription-send-delete-messages (default false, as in HAPI). */
  readonly sendDeleteMessages: boolean;
  /** Extension subscription-resthook-deliver-latest-version (default false). */
  readonly deliverLatestVersion: boolean;
  /** Extension subscription-delivery-retry-count; undefined = the queue's redrive limit. */
  readonly deliveryRetryCount?: number;
  /** Extension subscription-resthook-strip-version-ids (default false). */
  readonly stripVersionIds: boolean;
  /** Subscription.end: after this instant the subscription no longer matches. */
  readonly end?: string;
  /** Smile CDR replication extensions (id prefixes, base URL stripping); undefined = none. */
  readonly replication?: ReplicationSettings;
  /** HAPI subscription-payload-search-criteria: deliver this search's results as one transaction. */
  readonly payloadSearchCriteria?: string;
  /** The connector's subscription-transform: the allow-listed transform each resource goes through. */
  readonly transform?: string;
  /**
   * Set when the criteria hold parameters only the source server can evaluate (chains, `_has`, ...): a
   * write that matches the rest is delivered only if a search `Type?_id={id}&{query}` on the source finds
   * it for one of these criteria (`Type?query`, result parameters removed). Matching in memory counts the
   * write as a candidate; the deliverer decides. A merged target carries the criteria of every member,
   * unless one member matched in memory outright (then none).
   */
  readonly sourceCriteria?: readonly string[];
}

/** Subscription.status values (R4). */
export const SUBSCRIPTION_STATUS = {
  requested: 'requested',
  active: 'active',
  error: 'error',
  off: 'off',
} as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUS)[keyof typeof SUBSCRIPTION_STATUS];

/**
 * Where one resource version goes: one per distinct data store endpoint, however many overlapping
 * subscriptions matched (so the same version is never sent twice to the same data store).
 * `id`/`criteria` are those of the first matching subscription in id order (the message carries one
 * subscription id); `subscriptionIds` lists all of them. See ActiveSubscriptionCache for the merge rules.
 */
export interface DeliveryTarget extends ActiveSubscription {
  /** Every matching subscription that points at `endpoint`, sorted. */
  readonly subscriptionIds: readonly string[];
}

/**
 * Why an active Subscription does or does not match a resource: for the troubleshooting log and
 * `$explain-subscriptions`. Names only, never values.
 */
export interface SubscriptionVerdict {
  readonly subscriptionId: string;
  readonly criteria: string;
  readonly endpoint: string;
  /** True: the write goes to its endpoint (or, with `decidedBySource`, is sent for the source to decide). */
  readonly matched: boolean;
  /**
   * Why not: the first criterion the resource fails (a parameter as written, or `resourceType`), `end`
   * (the Subscription has ended), or `subscription-send-delete-messages` (a delete it does not send).
   */
  readonly failed?: string;
  /** Parameters only the source evaluates; `matched` then means "matches the rest". */
  readonly decidedBySource?: readonly string[];
}

/** The narrow logger the subscriptions module writes to (Powertools Logger fits it). */
export interface SubscriptionLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
