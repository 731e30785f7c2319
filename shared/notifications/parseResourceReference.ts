import { isFhirId, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';
import { NOTIFICATION_LIMITS } from './constants.js';
import type { ResourceRef } from './types.js';

/** What makes a reference unusable; messages name the problem, never the value. */
export type ReferenceProblem = 'malformed' | 'resource-type' | 'id' | 'origin';

export type ParsedReference =
  | { readonly kind: 'resource'; readonly ref: ResourceRef }
  /** A `urn:uuid:` / `urn:oid:` fullUrl: a name inside the Bundle, not a resource location. */
  | { readonly kind: 'urn' }
  /** A type-level URL (`Encounter`, the `request.url` of a create): names no instance. */
  | { readonly kind: 'type'; readonly resourceType: string }
  | { readonly kind: 'problem'; readonly problem: ReferenceProblem };

export interface ReferenceRules {
  /** Origins (`https://host[:port]`) absolute URLs may point at; anything else is refused. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** True for an R4 resource type name. */
  readonly isResourceType: (name: string) => boolean;
}

/** Printable ASCII without spaces: no control characters, no Unicode look-alikes. */
const PRINTABLE = /^[\x21-\x7e]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const URN = /^urn:(uuid|oid):[A-Za-z0-9.-]+$/;

const problem = (value: ReferenceProblem): ParsedReference => ({ kind: 'problem', problem: value });

/** `[...base, Type, id]` or `[...base, Type, id, '_history', vid]` as a checked reference. */
const fromSegments = (
  segments: readonly string[],
  rules: ReferenceRules,
  allowType: boolean,
): ParsedReference => {
  const history = segments.length >= 4 && segments[segments.length - 2] === '_history';
  const end = history ? segments.length - 2 : segments.length;
  if (end === 1 && allowType) {
    const resourceType = segments[0] as string;
    return isType(resourceType, rules) ? { kind: 'type', resourceType } : problem('resource-type');
  }
  if (end < 2) return problem('malformed');
  const resourceType = segments[end - 2] as string;
  const id = segments[end - 1] as string;
  if (!isType(resourceType, rules)) return problem('resource-type');
  if (!isFhirId(id)) return problem('id');
  if (!history) return { kind: 'resource', ref: { resourceType, id } };
  const versionId = segments[segments.length - 1] as string;
  return isFhirId(versionId) ? { kind: 'resource', ref: { resourceType, id, versionId } } : problem('id');
};

const isType = (name: string, rules: ReferenceRules): boolean =>
  RESOURCE_TYPE_PATTERN.test(name) && rules.isResourceType(name);

const parseAbsolute = (value: string, rules: ReferenceRules): ParsedReference => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem('malformed');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return problem('malformed');
  if (url.username || url.password || url.search || url.hash) return problem('malformed');
  if (!rules.allowedOrigins.has(url.origin)) return problem('origin');
  // The URL parser has already resolved `.` and `..`; the last segments must still be Type/id.
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  // Never a bare type here: without knowing the base path, `.../fhir/Encounter` names nothing certain.
  return fromSegments(segments, rules, false);
};

/**
 * Checks a reference, `fullUrl` or `request.url` from a notification before any part of it becomes a
 * path: relative `Type/id[/_history/vid]`, or absolute on an allowed origin with no query, fragment or
 * credentials; the type must be an R4 resource type and the ids must match the FHIR id pattern.
 * `allowType` also accepts a bare `Type` (a create's `request.url`).
 *
 * @example
 * parseResourceReference('Encounter/42', rules); // { kind: 'resource', ref: { resourceType: 'Encounter', id: '42' } }
 * parseResourceReference('https://evil.example/fhir/Patient/1', rules); // { kind: 'problem', problem: 'origin' }
 */
export const parseResourceReference = (
  value: unknown,
  rules: ReferenceRules,
  allowType = false,
): ParsedReference => {
  if (typeof value !== 'string' || value.length > NOTIFICATION_LIMITS.maxReferenceLength) {
    return problem('malformed');
  }
  if (!PRINTABLE.test(value)) return problem('malformed');
  if (URN.test(value)) return { kind: 'urn' };
  if (SCHEME.test(value)) return parseAbsolute(value, rules);
  if (value.includes('?') || value.includes('#')) return problem('malformed');
  // Relative: `Type`, `Type/id` or `Type/id/_history/vid`, nothing before.
  const segments = value.split('/');
  const shapeOk =
    segments.length === 2 ||
    (segments.length === 1 && allowType) ||
    (segments.length === 4 && segments[2] === '_history');
  return shapeOk ? fromSegments(segments, rules, allowType) : problem('malformed');
};

/** Normalises configured origins (`https://Host:443/` -> `https://host`); throws on one that is not http(s). */
export const normalizeOrigins = (origins: readonly string[]): ReadonlySet<string> =>
  new Set(
    origins.map((origin) => {
      const url = new URL(origin);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new Error('An allowed source origin must be an http(s) URL');
      }
      return url.origin;
    }),
  );
