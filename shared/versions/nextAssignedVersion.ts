import type { LedgerEntry, RecordResult, UnversionedWrite } from './VersionLedger.js';

/**
 * The ledger's decision for an unversioned write, given the latest entry: either the write repeats
 * the latest (a retried request, or a delete of something already deleted) and gets that version
 * back as `current`, or it becomes the next version (latest + 1, or 1). Both ledgers share it so
 * their semantics cannot drift.
 */
export const nextAssignedVersion = (
  latest: LedgerEntry | undefined,
  write: UnversionedWrite,
): { readonly repeat: RecordResult } | { readonly next: LedgerEntry } => {
  if (latest) {
    const sameContent =
      write.contentHash !== undefined && latest.contentHash === write.contentHash && !latest.deleted;
    if (sameContent || (write.deleted && latest.deleted)) return { repeat: { status: 'current', latest } };
  }
  const previous = latest ? Number(latest.versionId) : 0;
  return {
    next: {
      versionId: String(Number.isInteger(previous) ? previous + 1 : 1),
      lastUpdated: write.lastUpdated,
      deleted: write.deleted,
      ...(write.contentHash === undefined ? {} : { contentHash: write.contentHash }),
      ...(write.endpoints === undefined ? {} : { endpoints: write.endpoints }),
    },
  };
};
