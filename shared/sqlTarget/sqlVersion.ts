import { numericVersion, type ResourceVersion } from '../versions/compareVersions.js';

/**
 * The integer `version` of a resource version in the SQL target: its versionId when that is an integer
 * (HAPI FHIR, Smile CDR and the connector itself assign such), otherwise its lastUpdated instant in
 * epoch milliseconds (the order compareVersions uses for opaque versionIds). Undefined when neither is
 * usable. A source should keep to one kind: an integer versionId and a millisecond instant do not
 * compare.
 *
 * @example
 * sqlVersionOf({ versionId: '3', lastUpdated: '2026-01-01T00:00:00Z' }); // 3
 * sqlVersionOf({ versionId: 'b0c6...', lastUpdated: '2026-01-01T00:00:00Z' }); // 1767225600000
 */
export const sqlVersionOf = (version: ResourceVersion): number | undefined => {
  const numeric = numericVersion(version.versionId);
  if (numeric !== undefined) return numeric;
  const instant = Date.parse(version.lastUpdated);
  return Number.isFinite(instant) && instant >= 0 ? instant : undefined;
};
