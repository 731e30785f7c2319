import type { Meta, Subscription } from '@medplum/fhirtypes';
import type { SubscriptionStatus } from './types.js';

/** A Subscription as stored: id, status and the version meta the store assigned. */
export type StoredSubscription = Subscription & {
  id: string;
  status: SubscriptionStatus;
  meta: Meta & { versionId: string; lastUpdated: string };
};

/** The current state of one id: its latest version, or a tombstone after a delete. */
export interface SubscriptionRecord {
  readonly id: string;
  /** Increments by one on every change, deletes included (`1`, `2`, ...). */
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  /** The stored resource; absent when deleted. */
  readonly resource?: StoredSubscription;
}

/** Write preconditions. */
export type SaveCondition =
  /** Only when the id does not exist (a deleted id counts as absent; its versions continue). */
  | { readonly kind: 'absent' }
  /** Only when the current version is this one (HTTP If-Match). */
  | { readonly kind: 'version'; readonly versionId: string };

export interface SaveOptions {
  readonly condition?: SaveCondition;
  /** Clock for meta.lastUpdated (default: now). */
  readonly now?: Date;
  /**
   * A create (the id has no current version) is refused with 422 when this many Subscriptions exist,
   * atomically: concurrent creates never pass it. Updates are never refused. @default no limit
   */
  readonly maxSubscriptions?: number;
}

export interface SaveResult {
  readonly resource: StoredSubscription;
  /** True when the id had no current version (new, or re-created after a delete). */
  readonly created: boolean;
  /** False when the content equalled the current version: nothing was written, no new version. */
  readonly changed: boolean;
}

export type DeleteResult = 'deleted' | 'already-deleted' | 'not-found';

/**
 * Durable storage of Subscription resources. Every implementation assigns versions the same way
 * (shared `planSave`/`planDelete`), uses conditional writes so concurrent writers never lose an
 * update, and throws `OperationOutcomeError` (409 conflict / 412 precondition failed) when a
 * condition does not hold.
 */
export interface SubscriptionStore {
  /** The current record of an id (tombstones included), or undefined if it never existed. */
  get(id: string): Promise<SubscriptionRecord | undefined>;
  /** Every current (not deleted) Subscription, in id order. Strongly consistent. */
  list(): Promise<StoredSubscription[]>;
  /** Creates or updates; a write that changes nothing keeps the current version. */
  save(
    resource: Subscription & { id: string; status: SubscriptionStatus },
    options?: SaveOptions,
  ): Promise<SaveResult>;
  /** Deletes (writes a tombstone version). */
  delete(id: string, options?: { now?: Date }): Promise<DeleteResult>;
}
