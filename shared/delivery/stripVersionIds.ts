/**
 * `subscription-resthook-strip-version-ids`, as HAPI FHIR applies it: the delivered resource's id is made
 * versionless, i.e. `meta.versionId` is removed (references inside the resource are left as they are).
 * Returns a shallow copy; the input is not changed. `meta` is dropped when nothing else was in it.
 */
export const stripVersionIds = (resource: Record<string, unknown>): Record<string, unknown> => {
  const meta = resource.meta;
  if (meta === null || typeof meta !== 'object' || !('versionId' in meta)) return resource;
  const { versionId: _versionId, ...rest } = meta as Record<string, unknown>;
  const { meta: _meta, ...withoutMeta } = resource;
  return Object.keys(rest).length === 0 ? withoutMeta : { ...withoutMeta, meta: rest };
};
