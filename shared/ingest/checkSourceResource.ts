import type { FhirResource } from '../fhir/types.js';
import { isFhirId, RESOURCE_TYPE_PATTERN, resourceKey } from '../fhir/ids.js';
import { jsonShapeProblem } from '../fhir/jsonDepth.js';
import { INGEST_DEFAULTS } from './constants.js';
import { inspectResource } from './routes/inspectResource.js';

export interface SourceCheckOptions {
  /** Run the structure validator, as ingest does (default true). */
  readonly validate?: boolean;
  /** The clock, for the same `meta.lastUpdated` skew rule as ingest (default `new Date()`). */
  readonly now?: () => Date;
  /** For a read: the type and id asked for; the resource must be that one. */
  readonly expected?: { readonly resourceType: string; readonly id: string };
}

export type SourceCheck =
  | { readonly ok: true; readonly resource: FhirResource }
  /** `failedId`: `Type/id` when both are well-formed, else a placeholder that quotes nothing. */
  | { readonly ok: false; readonly failedId: string };

/**
 * Applies ingest's checks to one resource read from the source server: the same JSON shape walk
 * (depth, prototype keys), then `inspectResource` (known replicated type, valid id, agreeing with the
 * id read, structure, the clock-skew rule). A bad resource fails on its own; the page goes on.
 *
 * @example
 * const check = checkSourceResource(entry.resource, { expected: { resourceType: 'Patient', id: 'p1' } });
 */
export const checkSourceResource = (value: unknown, options: SourceCheckOptions = {}): SourceCheck => {
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const type = options.expected?.resourceType ?? record.resourceType;
  const id = options.expected?.id ?? record.id;
  const failedId =
    typeof type === 'string' && RESOURCE_TYPE_PATTERN.test(type)
      ? resourceKey(type, isFhirId(id) ? id : '(invalid id)')
      : '(resource without a valid type)';
  if (jsonShapeProblem(value, INGEST_DEFAULTS.maxJsonDepth)) return { ok: false, failedId };
  const inspection = inspectResource(value, {
    root: typeof record.resourceType === 'string' ? record.resourceType : 'Resource',
    ...(options.expected ? { urlType: options.expected.resourceType, urlId: options.expected.id } : {}),
    validate: options.validate ?? true,
    latestLastUpdated:
      (options.now ?? (() => new Date()))().getTime() + INGEST_DEFAULTS.maxClockSkewSeconds * 1000,
  });
  if (!inspection.ok) return { ok: false, failedId };
  // `inspectResource` keeps a body's own id only when it is valid; a read must also name the same one.
  if (options.expected && inspection.resource.id !== options.expected.id) return { ok: false, failedId };
  return { ok: true, resource: inspection.resource };
};
