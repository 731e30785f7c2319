import { FHIR_ID_PATTERN } from '../fhir/ids.js';
import { ReplicationError } from './errors.js';
import { replicateId } from './replicateId.js';
import type { ReplicationSettings } from './types.js';

/** A relative literal reference: `Type/id` or `Type/id/_history/version`. */
const RELATIVE_REFERENCE = /^([A-Z][A-Za-z]{1,63})\/([^/]+)(\/_history\/[^/]+)?$/;

const baseOf = (url: string): string => url.replace(/\/+$/, '');

/**
 * One `Reference.reference` rewritten: absolute references under `stripReferenceBaseUrl` made relative,
 * then the id of a relative `Type/id[/_history/v]` reference replicated (see `replicateId`). Contained
 * (`#id`), `urn:` and other absolute references are returned unchanged. Throws `ReplicationError`
 * (naming `path`, never the value) when the new id is not a valid FHIR id (over 64 characters).
 *
 * @example
 * replicateReference('http://src/fhir/Patient/1', { stripReferenceBaseUrl: 'http://src/fhir', idPrefix: 'A-' }, 'x')
 * // 'Patient/A-1'
 */
export const replicateReference = (
  reference: string,
  settings: ReplicationSettings,
  path: string,
): string => {
  if (reference.startsWith('#')) return reference;
  let relative = reference;
  if (settings.stripReferenceBaseUrl) {
    const base = `${baseOf(settings.stripReferenceBaseUrl)}/`;
    if (relative.startsWith(base)) relative = relative.slice(base.length);
  }
  const match = RELATIVE_REFERENCE.exec(relative);
  if (!match) return relative;
  const [, type = '', id = '', history = ''] = match;
  const replicated = replicateId(type, id, settings, path);
  if (replicated === id) return relative;
  if (!FHIR_ID_PATTERN.test(replicated)) {
    throw new ReplicationError(
      `${path}: the replicated reference id is not a valid FHIR id (over 64 characters?)`,
    );
  }
  return `${type}/${replicated}${history}`;
};

const rewrite = (value: unknown, settings: ReplicationSettings, path: string): unknown => {
  if (Array.isArray(value)) return value.map((item, index) => rewrite(item, settings, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key}`;
    result[key] =
      key === 'reference' && typeof child === 'string'
        ? replicateReference(child, settings, at)
        : rewrite(child, settings, at);
  }
  return result;
};

/**
 * A copy of `resource` as the target data store receives it under Smile CDR's replication settings: its
 * `id` replicated, and every `Reference.reference` string anywhere in it (extensions, contained
 * resources, Bundle entries...) rewritten by `replicateReference`. Contained resources keep their local
 * ids, so `#id` references still resolve. Throws `ReplicationError` when an id would not be a valid FHIR
 * id after prefixing. The input is not modified.
 *
 * @example
 * replicateResource({ resourceType: 'Observation', id: '3', subject: { reference: 'Patient/2' } }, { idPrefix: 'CDR1-' })
 * // { resourceType: 'Observation', id: 'CDR1-3', subject: { reference: 'Patient/CDR1-2' } }
 */
export const replicateResource = <T extends Record<string, unknown>>(
  resource: T,
  settings: ReplicationSettings,
): T => {
  const type = String(resource.resourceType);
  const copy = rewrite(resource, settings, type) as Record<string, unknown>;
  if (typeof resource.id === 'string') copy.id = replicatedResourceId(type, resource.id, settings);
  return copy as T;
};

/** The replicated id of a resource, or `ReplicationError` when it is not a valid FHIR id. */
export const replicatedResourceId = (
  resourceType: string,
  id: string,
  settings: ReplicationSettings,
): string => {
  const replicated = replicateId(resourceType, id, settings);
  if (!FHIR_ID_PATTERN.test(replicated)) {
    throw new ReplicationError(
      `${resourceType}.id: the replicated id is ${replicated.length} characters; FHIR ids hold at most 64`,
    );
  }
  return replicated;
};
