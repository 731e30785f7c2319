import { R4_SEARCH_PARAMETERS } from '../criteria/r4SearchParameters.generated.js';
import { isFhirId } from '../fhir/ids.js';

const R4_TYPES: ReadonlySet<string> = new Set(R4_SEARCH_PARAMETERS.resourceTypes);

/** True when `value` is one of the R4 resource types (`Patient`, not `http:` or `Patient/../x`). */
export const isR4ResourceType = (value: unknown): value is string =>
  typeof value === 'string' && R4_TYPES.has(value);

/** The request path of a resource, or why none can be built (never quoting the values). */
export type ResourcePath = { readonly path: string } | { readonly problem: string };

/**
 * The ingest API path of a resource read from a file, a source server or the command line: `Type/id`
 * (or `Type` for a create), built only from an R4 resource type and a FHIR id, so that no value from
 * the data can turn the path into another host, another type or a dot segment.
 *
 * @example
 * resourcePath('Patient', '123'); // { path: 'Patient/123' }
 * resourcePath('http:', '/evil.example/stolen'); // { problem: 'resourceType is not an R4 resource type' }
 */
export const resourcePath = (resourceType: unknown, id?: unknown): ResourcePath => {
  if (!isR4ResourceType(resourceType)) return { problem: 'resourceType is not an R4 resource type' };
  if (id === undefined) return { path: resourceType };
  if (!isFhirId(id)) return { problem: `${resourceType} id is not a FHIR id (1-64 of A-Z a-z 0-9 - .)` };
  return { path: `${resourceType}/${id}` };
};
