import type { ActiveSubscription } from '../subscriptions/types.js';
import type { CompiledCriteria } from '../criteria/types.js';
import type { FhirResource } from '../fhir/types.js';
import type { EventRange, ResourceRef } from '../notifications/types.js';
import type { SourceError } from '../fhirClient/errors.js';

/** Lifecycle of a backfill job. `completed`, `failed` and `cancelled` are final. */
export const JOB_STATES = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type JobState = (typeof JOB_STATES)[keyof typeof JOB_STATES];
export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

/**
 * A job is a set of independent *streams*, each a strictly sequential chain of pages: one stream per
 * `searchUrl` (page n+1 is only known once page n was read), and one single-page stream per batch
 * of `resourceId`s. Each stream has a cursor on the job item, advanced with a conditional update,
 * so a page is counted exactly once however often its message is delivered.
 */
export interface StreamCursor {
  /**
   * `search` and `ids` as `$trigger-subscription` starts them; `events` (one page: `$events` on the
   * source for missed event numbers) and `history` (`Type/_history?_since=`, deletes included) in the
   * catch-up jobs of backport notifications (see NotificationJob).
   */
  readonly kind: 'search' | 'ids' | 'events' | 'history';
  /** The search as submitted (search and history streams), resolved against the source base. */
  readonly searchUrl?: string;
  /** Number of resource ids in the batch (ids streams only). */
  readonly idCount?: number;
  /** Last page committed; -1 before the first. */
  readonly page: number;
  /** The next page's URL, once the last committed page named one. */
  readonly nextUrl?: string;
  /** The message for page `page + 1` is on the queue. */
  readonly nextEnqueued: boolean;
  /** No more pages. */
  readonly done: boolean;
  /** Resources this stream read and delivery messages it enqueued so far (progress per type). */
  readonly read?: number;
  readonly enqueued?: number;
}

export interface JobCounts {
  /** Resources read from the source. */
  readonly read: number;
  /** Read resources that matched the subscription's criteria. */
  readonly matched: number;
  /** Delivery messages enqueued. */
  readonly enqueued: number;
  /** Matched resources the ledger already held in a newer version (stale: not delivered). */
  readonly skipped: number;
  /**
   * Ids not delivered for a reason of their own: not found on the source (404/410), failing the
   * source checks, a same-version conflict (see `conflicts`), or a read the source kept failing
   * (notification jobs: dead-lettered to the backfill DLQ with its cause).
   */
  readonly failed: number;
  /**
   * Of `failed`: source copies carrying the versionId the ledger already holds, with other content.
   * The write path refuses them (never delivered); `$reconcile` repair resolves them.
   */
  readonly conflicts: number;
}

/** Why an id counts as failed. */
export const FAILED_ID_REASONS = {
  notFound: 'not-found',
  invalid: 'invalid',
  versionConflict: 'version-conflict',
  /** The source kept failing to answer a read of it (or refused it): dead-lettered with the cause, redrivable. */
  deadLettered: 'dead-lettered',
} as const;
export type FailedIdReason = (typeof FAILED_ID_REASONS)[keyof typeof FAILED_ID_REASONS];

/** A failed `Type/id` (or a placeholder when the id itself is malformed) and why; never content. */
export interface FailedId {
  readonly key: string;
  /** Absent on jobs recorded before reasons were kept. */
  readonly reason?: FailedIdReason;
}

/**
 * A job started for a source Subscription's backport notifications rather than by
 * `$trigger-subscription`: what it reads goes through the write pipeline against every active
 * Subscription, and a resource the source no longer has is deleted, not counted as failed.
 */
export interface NotificationJob {
  /** The Subscription on the source server whose notifications this job serves. */
  readonly sourceSubscriptionId: string;
  /** `read` for reads of notified resources, and the catch-up reasons (event-gap, empty-payload, ...). */
  readonly reasons: readonly string[];
  /** Catch-ups: from when (`_since`), and the gaps that finishing the job repairs. */
  readonly since?: string;
  readonly gaps: number;
  /** Event numbers the `$events` stream asks the source for. */
  readonly missing?: readonly EventRange[];
}

/** What one page read from the source, before it goes through the write pipeline. */
export interface PageRead {
  /** Resources to replicate, each checked as ingest checks a write. */
  readonly upserts: readonly FhirResource[];
  /** Resources the source no longer has (notification jobs): deleted in the replica too. */
  readonly deletes: readonly ResourceRef[];
  readonly nextUrl?: string;
  /** `Type/id` of resources not found or failing the checks, and why; never content. */
  readonly failedIds: readonly FailedId[];
  /** Resources read (deleted ones included). */
  readonly read: number;
  /** After an `$events` page: whether the job's standby history streams must run, or are not needed. */
  readonly standby?: 'run' | 'skip';
  /** Resources whose read failed (notification jobs): retried with the page, then dead-lettered. */
  readonly unreadable?: readonly UnreadableResource[];
}

/** A resource the source did not answer a read of, and the error (its message holds no content). */
export interface UnreadableResource {
  readonly ref: ResourceRef;
  readonly error: SourceError;
}

export interface BackfillJob {
  readonly jobId: string;
  /** The Subscription a `$trigger-subscription` job matches against; absent for notification jobs. */
  readonly subscriptionId?: string;
  readonly notification?: NotificationJob;
  readonly state: JobState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why the job failed or was cancelled; never resource content. */
  readonly reason?: string;
  readonly counts: JobCounts;
  readonly streams: readonly StreamCursor[];
  readonly streamsDone: number;
  /** Up to {@link MAX_RECORDED_FAILED_IDS} failed ids with their reasons. */
  readonly failedIds: readonly FailedId[];
}

/** One unit of work: one SQS message to the backfill worker. */
export type WorkMessage =
  | {
      readonly jobId: string;
      readonly task: 'search';
      readonly searchIndex: number;
      readonly pageUrl: string;
      readonly pageNumber: number;
      /**
       * Backfill of everything under `[*]`: read the type only when the source's CapabilityStatement
       * can search it; otherwise the stream completes empty.
       */
      readonly ifSourceSearchable?: true;
    }
  | {
      readonly jobId: string;
      readonly task: 'ids';
      /** Stream index of this batch (after the search streams). */
      readonly searchIndex: number;
      readonly pageNumber: 0;
      readonly ids: readonly string[];
    }
  | {
      /** The job whose read was dead-lettered (for the trail; the job itself has finished). */
      readonly jobId: string;
      /**
       * A dead-lettered read of a notification job, redriven from the backfill DLQ: each resource is
       * read as the source has it now and replicated, outside the job.
       */
      readonly task: 'reread';
      /** The stream the read was dead-lettered from. */
      readonly searchIndex: number;
      readonly pageNumber: 0;
      readonly ids: readonly string[];
    }
  | {
      readonly jobId: string;
      /** A page of a notification catch-up: `$events` (one page) or type history. */
      readonly task: 'events' | 'history';
      readonly searchIndex: number;
      readonly pageUrl: string;
      readonly pageNumber: number;
    };

/** What a page commit adds to the job. */
export interface PageCommit {
  readonly stream: number;
  readonly page: number;
  readonly nextUrl?: string;
  readonly counts: JobCounts;
  readonly failedIds: readonly FailedId[];
}

/** Narrow view of the subscription store the backfill needs. */
export interface SubscriptionLookup {
  getSubscription(
    id: string,
  ): Promise<{ readonly status: string; readonly active?: ActiveSubscription } | undefined>;
}

/** Puts work messages on the backfill queue; resolves only when every message was accepted. */
export interface WorkQueue<M = WorkMessage> {
  send(messages: readonly M[]): Promise<void>;
}

/** Builds a matcher from subscription criteria (`compileCriteria` of shared/criteria). */
export type CriteriaCompiler = (
  criteria: string,
) => Pick<CompiledCriteria, 'matches' | 'resourceTypes' | 'sourceQuery'>;

/** Minimal structured logger (Powertools Logger fits). */
export interface BackfillLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export type { FhirResource };

/** The subset of FHIR `Parameters.parameter` the backfill writes (status and job answers). */
export interface ParametersParameter {
  readonly name: string;
  readonly valueString?: string;
  readonly valueCode?: string;
  readonly valueUrl?: string;
  readonly valueInstant?: string;
  readonly valueBoolean?: boolean;
  readonly valueUnsignedInt?: number;
  readonly valueReference?: { readonly reference: string };
  readonly part?: readonly ParametersParameter[];
}

/** A FHIR `Parameters` resource as the backfill answers it. */
export interface ParametersResource {
  readonly resourceType: 'Parameters';
  readonly parameter: readonly ParametersParameter[];
}
