import { isFhirId, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';
import { ENTRY_METHODS } from './constants.js';
import { isObject, type Problems } from './parameterValues.js';
import {
  parseResourceReference,
  type ParsedReference,
  type ReferenceRules,
} from './parseResourceReference.js';
import type { EntryMethod, NotificationEntry, ResourceRef } from './types.js';

/** A parsed entry and the `fullUrl` it was given, so `urn:` focus references can find it. */
export interface ParsedEntry {
  readonly entry: NotificationEntry;
  readonly fullUrl?: string;
}

/** The resource an entry's `fullUrl` or `request.url` names, or a problem reported at `path`. */
const urlRef = (
  value: unknown,
  path: string,
  rules: ReferenceRules,
  problems: Problems,
  allowType: boolean,
): ParsedReference | undefined => {
  if (value === undefined) return undefined;
  const parsed = parseResourceReference(value, rules, allowType);
  if (parsed.kind !== 'problem') return parsed;
  return parsed.problem === 'origin'
    ? problems.add('The URL points at an origin that is not allowed', path, 'security')
    : problems.add('The URL must name an R4 resource type and a valid id', path);
};

/** The type and id a carried resource states (its id may be absent on a create). */
const resourceRef = (
  resource: Record<string, unknown>,
  path: string,
  rules: ReferenceRules,
  problems: Problems,
): { resourceType: string; id?: string; versionId?: string } | undefined => {
  const type = resource['resourceType'];
  if (typeof type !== 'string' || !RESOURCE_TYPE_PATTERN.test(type) || !rules.isResourceType(type)) {
    return problems.add('The resource type is not an R4 resource type', `${path}.resourceType`);
  }
  const id = resource['id'];
  if (id !== undefined && !isFhirId(id))
    return problems.add('The resource id is not a valid FHIR id', `${path}.id`);
  const meta = resource['meta'];
  const versionId = isObject(meta) ? meta['versionId'] : undefined;
  if (versionId !== undefined && !isFhirId(versionId)) {
    return problems.add('meta.versionId is not a valid FHIR id', `${path}.meta.versionId`);
  }
  return {
    resourceType: type,
    ...(id === undefined ? {} : { id }),
    ...(versionId === undefined ? {} : { versionId }),
  };
};

const methodOf = (request: unknown, path: string, problems: Problems): EntryMethod | 'none' | undefined => {
  if (request === undefined) return 'none';
  if (!isObject(request)) return problems.add('request must be an object', path);
  const method = request['method'];
  // HAPI FHIR sends the status entry with an empty request; a payload entry without a method reads as none.
  if (method === undefined) return 'none';
  return (ENTRY_METHODS as readonly unknown[]).includes(method)
    ? (method as EntryMethod)
    : problems.add(`request.method must be one of ${ENTRY_METHODS.join(', ')}`, `${path}.method`);
};

/**
 * Reads one payload entry: the resource it names (from `resource`, `fullUrl` and `request.url`, which
 * must agree) and what it asks: `DELETE` deletes, a carried resource is upserted, anything else (an
 * id-only entry, a full-resource entry whose content the server left out, a `PATCH`) is read from the
 * source. Every name is checked (R4 type list, FHIR id pattern, allowed origin) before use.
 */
export const parseEntry = (
  value: unknown,
  index: number,
  rules: ReferenceRules,
  problems: Problems,
): ParsedEntry | undefined => {
  const path = `Bundle.entry[${index}]`;
  if (!isObject(value)) return problems.add('Each entry must be an object', path);
  const before = problems.issues.length;
  const resource = value['resource'];
  if (resource !== undefined && !isObject(resource))
    problems.add('resource must be an object', `${path}.resource`);
  const fromResource = isObject(resource)
    ? resourceRef(resource, `${path}.resource`, rules, problems)
    : undefined;
  const fromFullUrl = urlRef(value['fullUrl'], `${path}.fullUrl`, rules, problems, false);
  const request = value['request'];
  const method = methodOf(request, `${path}.request`, problems);
  const requestUrl = isObject(request) ? request['url'] : undefined;
  const fromRequest = urlRef(requestUrl, `${path}.request.url`, rules, problems, true);
  if (problems.issues.length > before) return undefined;

  const named: ResourceRef[] = [];
  if (fromResource?.id !== undefined)
    named.push({ resourceType: fromResource.resourceType, id: fromResource.id });
  if (fromFullUrl?.kind === 'resource') named.push(fromFullUrl.ref);
  if (fromRequest?.kind === 'resource') named.push(fromRequest.ref);
  const types = new Set(named.map((ref) => ref.resourceType));
  if (fromResource) types.add(fromResource.resourceType);
  if (fromRequest?.kind === 'type') types.add(fromRequest.resourceType);
  const first = named[0];
  if (types.size > 1 || new Set(named.map((ref) => ref.id)).size > 1) {
    return problems.add('The entry resource, fullUrl and request.url name different resources', path);
  }
  if (!first)
    return problems.add('The entry names no resource instance (resource.id, fullUrl or request.url)', path);

  const versionId =
    fromResource?.versionId ?? named.find((ref) => ref.versionId !== undefined)?.versionId ?? undefined;
  const ref: ResourceRef = {
    resourceType: first.resourceType,
    id: first.id,
    ...(versionId ? { versionId } : {}),
  };
  const action =
    method === 'DELETE' ? 'delete' : isObject(resource) && method !== 'PATCH' ? 'upsert' : 'read';
  const fullUrl = typeof value['fullUrl'] === 'string' ? value['fullUrl'] : undefined;
  return {
    entry: {
      index,
      ref,
      action,
      ...(action === 'upsert' ? { resource: resource as Record<string, unknown> } : {}),
    },
    ...(fullUrl === undefined ? {} : { fullUrl }),
  };
};
