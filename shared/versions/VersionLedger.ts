import type { ResourceVersion } from './compareVersions.js';

/** A write that carries no version of its own: the ledger assigns one. */
export interface UnversionedWrite {
  readonly deleted: boolean;
  readonly contentHash?: string;
  readonly lastUpdated: string;
  /** The endpoints the new version is enqueued for (see `LedgerEntry.endpoints`). */
  readonly endpoints?: readonly string[];
}

/** What the ledger knows of a resource: its latest accepted version, and whether that is a delete. */
export interface LedgerEntry extends ResourceVersion {
  readonly deleted: boolean;
  /** sha256 of the canonical resource JSON, to recognise a retried identical write. */
  readonly contentHash?: string;
  /**
   * The (normalised) endpoints this version was enqueued for, so the deliverer supersedes an older
   * version only where the newer one is on its way. Absent on entries written before it was recorded.
   */
  readonly endpoints?: readonly string[];
}

/** How a write relates to what the ledger already held. */
export type RecordStatus =
  /** The write is newer than anything known: it is now the latest. */
  | 'recorded'
  /** The very same version was recorded before (a retried request): deliver again, harmlessly. */
  | 'current'
  /** An older version than the one recorded: never deliver it. */
  | 'stale'
  /**
   * Refused by a `SourceVersionGuard`: a numeric versionId more than `maxVersionJump` past the recorded
   * one without a newer `lastUpdated` of its own (a forged version that would pin the resource).
   * Nothing is recorded.
   */
  | 'refused';

export interface RecordResult {
  readonly status: RecordStatus;
  /** The ledger's latest entry after the call (the write's own when recorded or current). */
  readonly latest: LedgerEntry;
  /**
   * For a stale write counted under `SourceVersionGuard.countStale`: how many stale writes the recorded
   * version has had, this one included (a resource that keeps getting them may be pinned).
   */
  readonly staleWrites?: number;
}

/**
 * Checks the write path applies to versions a write-scope caller sends (ingest), not to the source
 * server's own (backfill, reconcile). A source versionId may jump ahead of the recorded one (versions
 * the connector never saw), but a jump of more than `maxVersionJump` needs a `meta.lastUpdated` of the
 * write's own that is newer than the recorded one: real sources advance both together.
 */
export interface SourceVersionGuard {
  /** Largest accepted jump of a numeric versionId past the recorded numeric versionId. */
  readonly maxVersionJump: number;
  /** Whether the write carried its own `meta.lastUpdated` (not the connector's clock). */
  readonly ownLastUpdated: boolean;
  /** Count stale writes per recorded version (`RecordResult.staleWrites`). */
  readonly countStale: boolean;
}

/**
 * The durable record of the latest known version of every resource (`Type/id`).
 * Ingest writes it with conditional writes; the deliverer reads it so an older version never
 * overwrites a newer one in HealthLake, whatever order messages arrive in.
 */
export interface VersionLedger {
  /** The latest entry of each key (missing keys are absent from the map). */
  getLatest(keys: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /**
   * Records a version the source assigned (`meta.versionId`), if it is not older than the latest.
   * A `current` result returns the stored entry (its endpoints included), unchanged. With a `guard`,
   * an implausible jump is `refused` and stale writes are counted.
   */
  recordSourceVersion(key: string, entry: LedgerEntry, guard?: SourceVersionGuard): Promise<RecordResult>;
  /**
   * Assigns the next version (latest + 1, or 1) to a write that carries none. A write whose content
   * hash equals the latest's (a retried request) gets that version back with status `current`.
   */
  assignNextVersion(key: string, write: UnversionedWrite): Promise<RecordResult>;
  /**
   * Moves the latest entry back to `entry` (a restored source, or a forged version pinning the
   * resource), only while the stored latest is still `expected`: true when reset, false when another
   * write moved it meanwhile. Used by reconcile repair, never by the write path.
   */
  resetTo(key: string, entry: LedgerEntry, expected: LedgerEntry): Promise<boolean>;
}
