/** The version of one resource: FHIR `meta.versionId` and `meta.lastUpdated`. */
export interface ResourceVersion {
  readonly versionId: string;
  readonly lastUpdated: string;
}

const INTEGER = /^(0|[1-9][0-9]{0,14})$/;

/** The numeric value of a versionId when it is a plain integer (what HAPI, Smile CDR and we assign). */
export const numericVersion = (versionId: string): number | undefined =>
  INTEGER.test(versionId) ? Number(versionId) : undefined;

/**
 * Orders two versions of the same resource: negative when `a` is older than `b`.
 * FHIR versionIds are opaque strings; when both are integers they are compared as numbers,
 * otherwise the `lastUpdated` instants decide. Equal versionIds are the same version.
 */
export const compareVersions = (a: ResourceVersion, b: ResourceVersion): number => {
  if (a.versionId === b.versionId) return 0;
  const na = numericVersion(a.versionId);
  const nb = numericVersion(b.versionId);
  if (na !== undefined && nb !== undefined) return na - nb;
  const byTime = Date.parse(a.lastUpdated) - Date.parse(b.lastUpdated);
  // Stryker disable next-line EqualityOperator: the ids differ here (equal ones returned 0 above)
  return Number.isNaN(byTime) || byTime === 0 ? (a.versionId < b.versionId ? -1 : 1) : byTime;
};
