import { compareVersions, numericVersion } from './compareVersions.js';
import type { LedgerEntry, RecordResult, SourceVersionGuard } from './VersionLedger.js';

/**
 * True when `entry`'s numeric versionId jumps more than `guard.maxVersionJump` past `latest`'s numeric
 * versionId without a `meta.lastUpdated` of its own newer than the recorded one. Opaque versionIds are
 * ordered by `lastUpdated` (compareVersions), which the clock-skew limit already bounds, so they never
 * jump.
 */
export const isImplausibleJump = (
  latest: LedgerEntry,
  entry: LedgerEntry,
  guard: SourceVersionGuard | undefined,
): boolean => {
  if (!guard) return false;
  const next = numericVersion(entry.versionId);
  const recorded = numericVersion(latest.versionId);
  if (next === undefined || recorded === undefined || next - recorded <= guard.maxVersionJump) return false;
  const newer = guard.ownLastUpdated && Date.parse(entry.lastUpdated) > Date.parse(latest.lastUpdated);
  return !newer;
};

/**
 * The ledger's decision for a source-versioned write, given the latest entry: `stale` when the write
 * is older, `current` when it is the same version (a retry), `refused` when it jumps implausibly far
 * (`isImplausibleJump`, only with a guard), and undefined when it is newer (or the resource is new) and
 * should be written. Both ledgers share it so their semantics cannot drift.
 */
export const sourceVersionDecision = (
  latest: LedgerEntry | undefined,
  entry: LedgerEntry,
  guard?: SourceVersionGuard,
): RecordResult | undefined => {
  if (!latest) return undefined;
  const order = compareVersions(entry, latest);
  if (order < 0) return { status: 'stale', latest };
  if (order === 0) return { status: 'current', latest };
  if (isImplausibleJump(latest, entry, guard)) return { status: 'refused', latest };
  return undefined;
};
