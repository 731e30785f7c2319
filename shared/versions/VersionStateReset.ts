/** What a reset clears: every resource of one type, or one resource. */
export interface ResetScope {
  readonly resourceType: string;
  readonly id?: string;
}

/** How many records a reset removed. */
export interface ResetCounts {
  /** Version ledger entries (one per resource). */
  readonly ledgerEntries: number;
  /** Delivered-version records (one per resource and HealthLake endpoint). */
  readonly deliveredVersions: number;
}

/**
 * Forgets what the connector knows of a resource's versions, so the next write of it is recorded
 * and delivered whatever version it carries: the operator's way to unpin a resource that a bogus
 * version (say `999999999`, or one restored from a backup) has made every real update look stale.
 */
export interface VersionStateReset {
  reset(scope: ResetScope): Promise<ResetCounts>;
}
