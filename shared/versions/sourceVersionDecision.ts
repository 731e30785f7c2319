import { compareVersions } from './compareVersions.js';
import type { LedgerEntry, RecordResult } from './VersionLedger.js';

/**
 * The ledger's decision for a source-versioned write, given the latest entry: `stale` when the write
 * is older, `current` when it is the same version (a retry), and undefined when it is newer (or the
 * resource is new) and should be written. Both ledgers share it so their semantics cannot drift.
 */
export const sourceVersionDecision = (
  latest: LedgerEntry | undefined,
  entry: LedgerEntry,
): RecordResult | undefined => {
  if (!latest) return undefined;
  const order = compareVersions(entry, latest);
  if (order < 0) return { status: 'stale', latest };
  if (order === 0) return { status: 'current', latest };
  return undefined;
};
