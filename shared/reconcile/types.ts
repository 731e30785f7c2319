import type { ParametersParameter, ParametersResource } from '../backfill/types.js';

/** What a reconcile job does about the differences it finds. */
export const RECONCILE_MODES = {
  compare: 'compare',
  repair: 'repair',
  repairAndPrune: 'repair-and-prune',
} as const;
export type ReconcileMode = (typeof RECONCILE_MODES)[keyof typeof RECONCILE_MODES];

/**
 * What one resource turned out to be. `pinned` (the ledger holds a newer version than the source) and
 * `versionConflict` are counted besides `inSync`/`missing`/`stale`; `repaired`, `pinnedReset` and
 * `pruned` count the actions. Ids are the source's, except for `onlyInHealthLake`, `unconfirmed` and
 * `pruned`, which are HealthLake's (they differ under a replication id prefix).
 */
export const OUTCOMES = [
  'inSync',
  'missing',
  'stale',
  'onlyInHealthLake',
  'pinned',
  'repaired',
  'pinnedReset',
  'pruned',
  /**
   * Missing or stale, but the source's copy fails ingest's checks (shape, type, id, clock), or its id
   * would not be a valid FHIR id once replicated: not repaired.
   */
  'invalidAtSource',
  /**
   * The source holds the versionId the ledger recorded, with other content (ingest refuses such a write
   * with 409, backfill counts it as failed). Seen when the content is read; repair resets the ledger
   * entry to the source's content (`pinnedReset`) and re-delivers it.
   */
  'versionConflict',
  /**
   * repair-and-prune: only in HealthLake, but the confirmed compare did not list it (it appeared
   * later): left alone.
   */
  'unconfirmed',
  /**
   * HealthLake ids outside the Subscription's id space (another replication prefix, or not matched by
   * its selector): left alone, counted only (no id list, no samples).
   */
  'outOfScope',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type Tally = Record<Outcome, number>;

export const emptyTally = (): Tally => ({
  inSync: 0,
  missing: 0,
  stale: 0,
  onlyInHealthLake: 0,
  pinned: 0,
  repaired: 0,
  pinnedReset: 0,
  pruned: 0,
  invalidAtSource: 0,
  versionConflict: 0,
  unconfirmed: 0,
  outOfScope: 0,
});

/** Outcomes only counted: no id-list line, no sample. */
export const COUNT_ONLY_OUTCOMES: ReadonlySet<Outcome> = new Set(['inSync', 'outOfScope']);

/** What the job covers, as requested. */
export interface ReconcileScope {
  /** Types in order; empty = every type the source can search, minus infrastructure types. */
  readonly resourceTypes: readonly string[];
  /** `Type/id` keys; exclusive with types and searches. */
  readonly resourceIds: readonly string[];
  /** `Type?params` searches run on both servers. */
  readonly searchUrls: readonly string[];
  /** `_lastUpdated` window: `ge since`, `lt until`. */
  readonly since?: string;
  readonly until?: string;
}

/**
 * A strictly sequential chain of pages. `source` streams page through the source and look each
 * resource up in HealthLake; `healthlake` streams page through HealthLake and look each id up in the
 * source; an `ids` stream is one message holding a batch of `Type/id` keys checked both ways.
 */
export interface ReconcileStream {
  readonly side: 'source' | 'healthlake' | 'ids';
  readonly resourceType?: string;
  /** `Type?params` (search streams). */
  readonly query?: string;
  /** Index of the first id of the batch in `scope.resourceIds` (ids streams). */
  readonly idStart?: number;
  readonly idCount?: number;
  /** Last committed page; -1 before the first. */
  readonly page: number;
  readonly nextUrl?: string;
  readonly nextEnqueued: boolean;
  readonly done: boolean;
}

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

export interface ReconcileJob {
  readonly jobId: string;
  readonly subscriptionId: string;
  readonly mode: ReconcileMode;
  /** Compare content (sha256 of canonical JSON without versionId/lastUpdated) too. */
  readonly contentHash: boolean;
  readonly scope: ReconcileScope;
  /** repair-and-prune: the only-in-HealthLake count of `compareJobId`, confirmed by the caller. */
  readonly pruneConfirmation?: number;
  readonly compareJobId?: string;
  /**
   * The Subscription's delivery target when the job was created (endpoint plus replication settings,
   * `replicationTargetKey`): a prune is refused when it no longer equals its compare's.
   */
  readonly target?: string;
  readonly state: JobState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why the job failed or was cancelled; never resource content. */
  readonly reason?: string;
  /** The streams were planned (types resolved, first pages enqueued). */
  readonly planned: boolean;
  readonly streams: readonly ReconcileStream[];
  readonly streamsDone: number;
  /** Per resource type. */
  readonly counts: Readonly<Record<string, Tally>>;
  /** `{outcome} {Type}/{id}`, at most SAMPLES_PER_OUTCOME per outcome. */
  readonly samples: readonly string[];
  /** Where the full id lists are written (`s3://bucket/prefix/`), when a bucket is configured. */
  readonly idLists?: string;
}

/** One unit of work on the reconcile queue. */
export type ReconcileMessage =
  | { readonly jobId: string; readonly task: 'plan' }
  | {
      readonly jobId: string;
      readonly task: 'page';
      readonly stream: number;
      readonly page: number;
      /** The page's URL (search streams). */
      readonly url?: string;
    };

/** What a page commit adds. */
export interface ReconcilePageCommit {
  readonly stream: number;
  readonly page: number;
  readonly nextUrl?: string;
  readonly counts: Readonly<Record<string, Partial<Tally>>>;
  readonly samples: readonly string[];
}

export type { ParametersParameter, ParametersResource };
