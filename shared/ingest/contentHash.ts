import { createHash } from 'node:crypto';
import type { FhirResource } from '../fhir/types.js';

/**
 * sha256 (hex) of the resource's canonical JSON (keys sorted), ignoring `meta.versionId` and
 * `meta.lastUpdated`, which the connector assigns: a retried identical write hashes the same.
 */
export const contentHash = (resource: FhirResource): string =>
  createHash('sha256')
    .update(canonicalJson(withoutVersionMeta(resource)))
    .digest('hex');

const withoutVersionMeta = (resource: FhirResource): FhirResource => {
  const meta = resource.meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return resource;
  const { versionId: _v, lastUpdated: _l, ...rest } = meta;
  return { ...resource, meta: rest };
};

const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};
