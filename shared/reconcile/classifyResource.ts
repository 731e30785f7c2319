import type { FhirResource } from '../fhir/types.js';
import { contentHash } from '../ingest/contentHash.js';
import { compareVersions, type ResourceVersion } from '../versions/compareVersions.js';
import type { LedgerEntry } from '../versions/VersionLedger.js';

/** How a source resource stands in HealthLake. */
export interface Classification {
  readonly outcome: 'inSync' | 'missing' | 'stale';
  /** The ledger holds a newer version than the source's current one (restored source, forged version). */
  readonly pinned: boolean;
  /** The ledger holds the source's versionId with other content (only known when the content was read). */
  readonly conflict: boolean;
}

/**
 * Whether `source` (read in full) carries the versionId `ledger` recorded but other content: the write
 * path refuses it as a conflict, so it never reaches HealthLake on its own.
 */
export const isVersionConflict = (source: FhirResource, ledger: LedgerEntry | undefined): boolean => {
  const version = versionOf(source);
  return (
    version !== undefined &&
    ledger !== undefined &&
    !ledger.deleted &&
    ledger.versionId === version.versionId &&
    ledger.contentHash !== undefined &&
    ledger.contentHash !== contentHash(source)
  );
};

/** `meta.versionId`/`lastUpdated` of a resource, when it has both. */
export const versionOf = (resource: FhirResource): ResourceVersion | undefined => {
  const meta = resource.meta as { versionId?: unknown; lastUpdated?: unknown } | undefined;
  return typeof meta?.versionId === 'string' && typeof meta.lastUpdated === 'string'
    ? { versionId: meta.versionId, lastUpdated: meta.lastUpdated }
    : undefined;
};

const lastUpdatedMs = (resource: FhirResource): number =>
  Date.parse(String((resource.meta as { lastUpdated?: unknown } | undefined)?.lastUpdated ?? ''));

/**
 * Compares one source resource with HealthLake's copy and the ledger's latest version.
 * HealthLake assigns its own versionIds, so versions are compared where they are comparable: the
 * source's versionId against the ledger's (the version the connector last accepted: a newer ledger
 * version means the resource is pinned and later source versions would be skipped as stale), and
 * HealthLake's lastUpdated (when it stored its copy) against the source's (a copy written before the
 * source's current version existed is stale). With `compareContent`, a content difference (ignoring
 * versionId and lastUpdated) between `asDelivered` (the source's copy as the deliverer writes it: ids
 * and references replicated) and HealthLake's copy is stale too. With `fullSource` (the source's content
 * was read), a same-version conflict with the ledger is flagged; it makes an in-sync copy stale.
 */
export const classifyResource = (
  source: FhirResource,
  healthLake: FhirResource | undefined,
  ledger: LedgerEntry | undefined,
  options: { compareContent: boolean; fullSource: boolean; asDelivered?: FhirResource },
): Classification => {
  const version = versionOf(source);
  const pinned = version !== undefined && ledger !== undefined && compareVersions(version, ledger) < 0;
  const conflict = options.fullSource && isVersionConflict(source, ledger);
  const flags = { pinned, conflict };
  if (!healthLake) return { outcome: 'missing', ...flags };
  if (pinned || conflict) return { outcome: 'stale', ...flags };
  const sourceMs = lastUpdatedMs(source);
  const copyMs = lastUpdatedMs(healthLake);
  if (!Number.isNaN(sourceMs) && !Number.isNaN(copyMs) && copyMs < sourceMs)
    return { outcome: 'stale', ...flags };
  if (options.compareContent && contentHash(options.asDelivered ?? source) !== contentHash(healthLake))
    return { outcome: 'stale', ...flags };
  return { outcome: 'inSync', ...flags };
};
