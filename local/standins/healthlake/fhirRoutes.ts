import { validateResource } from '@medplum/core';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { badRequest, methodNotAllowed, notFound, notSupported } from '../../../shared/fhir/outcomes.js';
import { isFhirId } from '../../../shared/fhir/ids.js';
import { HEALTHLAKE_MAX_BUNDLE_ENTRIES } from '../../../shared/healthlake/constants.js';
import { FhirStore } from './fhirStore.js';
import { decodeQuery, HttpError, parseJson } from './standinHttp.js';

/** HealthLake's limit of entries per batch or transaction Bundle (AWS's general reference): the default. */
export const MAX_BUNDLE_ENTRIES = HEALTHLAKE_MAX_BUNDLE_ENTRIES;
const ENTRY_URL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** What a FHIR request is answered with. */
export interface FhirAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * The FHIR interactions of the stand-in over its store: read, vread, history, search (GET and
 * `_search`), create, update, delete, a transaction Bundle at the base, and `metadata`. Called for
 * requests already authenticated and past fault injection.
 */
export const createFhirRoutes = (options: {
  readonly store: FhirStore;
  readonly notSupportedTypes: ReadonlySet<string>;
  /** Validate PUT bodies against the R4 structure definitions. */
  readonly validate: boolean;
  readonly deleteMissingStatus: 204 | 404;
  /** Most entries a transaction Bundle may hold. @default MAX_BUNDLE_ENTRIES (160) */
  readonly maxBundleEntries?: number;
  /** The endpoint's absolute base URL (known once the server listens). */
  readonly endpoint: () => string;
}) => {
  const { store, notSupportedTypes, deleteMissingStatus } = options;
  const maxBundleEntries = options.maxBundleEntries ?? MAX_BUNDLE_ENTRIES;
  const validate = (resource: Resource) => {
    if (!options.validate) return;
    try {
      // Medplum's 1 MiB base64Binary default is the library's, not FHIR's nor HealthLake's.
      validateResource(resource, { base64BinaryMaxBytes: Number.MAX_SAFE_INTEGER });
    } catch (error) {
      const issues = (error as { outcome?: OperationOutcome }).outcome?.issue;
      throw new HttpError(
        issues
          ? { resourceType: 'OperationOutcome', id: '400', issue: issues }
          : badRequest('Invalid resource'),
        'ValidationException',
      );
    }
  };

  const bundleOf = (type: Bundle['type'], entry: BundleEntry[], extra: Partial<Bundle> = {}): Bundle => ({
    resourceType: 'Bundle',
    type,
    ...extra,
    ...(entry.length > 0 ? { entry } : {}),
  });

  const resourceHeaders = (resource: Resource): Record<string, string> => {
    const versionId = resource.meta?.versionId ?? '';
    return {
      etag: `W/"${versionId}"`,
      'last-modified': new Date(resource.meta?.lastUpdated ?? Date.now()).toUTCString(),
      location: `${options.endpoint()}${resource.resourceType}/${resource.id}/_history/${versionId}`,
    };
  };

  /** Dispatches an authenticated, fault-free FHIR request; returns status + body + headers. */
  const dispatch = (
    method: string,
    segments: string[],
    query: Record<string, string[]>,
    rawQuery: string,
    body: Buffer,
    parsedBody: { value: unknown } | undefined,
  ): FhirAnswer => {
    const [type, id, history, versionId, ...rest] = segments;
    if (type === 'metadata' && segments.length === 1 && method === 'GET') {
      return { status: 200, body: capabilityStatement(store.resourceTypes(), notSupportedTypes) };
    }
    if (type === undefined && method === 'POST') return transaction(parseJson(parsedBody));
    if (type === undefined) throw new HttpError(notFound('No route'));
    if (rest.length > 0) throw new HttpError(notFound('No route'));
    if (id === '_history' && history === undefined && method === 'GET') return typeHistory(type, query);
    if (id !== undefined && id !== '_search' && !isFhirId(id)) throw new HttpError(badRequest('Invalid id'));

    if (id === undefined || id === '_search') {
      if (method === 'GET' || (method === 'POST' && id === '_search')) {
        const params =
          method === 'POST'
            ? { ...query, ...decodeQuery(body.toString('utf8').replace(/\+/g, '%20')) }
            : query;
        return { status: 200, body: searchBundle(type, params, rawQuery) };
      }
      if (method === 'POST' && id === undefined) {
        const resource = parseJson(parsedBody) as Resource;
        if (resource?.resourceType !== type)
          throw new HttpError(badRequest('Resource type does not match the URL'));
        const stored = store.create(resource);
        return { status: 201, body: stored, headers: resourceHeaders(stored) };
      }
      throw new HttpError(methodNotAllowed(`${method} is not allowed on the type endpoint`));
    }

    if (history === undefined) {
      if (method === 'GET') {
        const resource = store.read(type, id);
        return { status: 200, body: resource, headers: resourceHeaders(resource) };
      }
      if (method === 'PUT') {
        const resource = parseJson(parsedBody) as Resource;
        if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
          throw new HttpError(badRequest('Request body must be a FHIR resource'));
        }
        if (resource.resourceType !== type)
          throw new HttpError(badRequest('Resource type does not match the URL'));
        if (resource.id !== id) throw new HttpError(badRequest('Resource id does not match the URL', 'id'));
        validate(resource);
        const { created, resource: stored } = store.put({ ...resource, id });
        return { status: created ? 201 : 200, body: stored, headers: resourceHeaders(stored) };
      }
      if (method === 'DELETE') {
        const deleted = store.delete(type, id);
        if (!deleted && deleteMissingStatus === 404)
          throw new HttpError(notFound(`Resource ${type}/${id} is not known`));
        return { status: 204 };
      }
      throw new HttpError(methodNotAllowed(`${method} is not allowed on a resource`));
    }

    if (history !== '_history' || method !== 'GET') throw new HttpError(notFound('No route'));
    if (versionId !== undefined) {
      const resource = store.vread(type, id, versionId);
      return { status: 200, body: resource, headers: resourceHeaders(resource) };
    }
    const versions = store.history(type, id);
    return {
      status: 200,
      body: bundleOf(
        'history',
        versions.map((version) => ({
          fullUrl: `${options.endpoint()}${type}/${id}`,
          ...(version.resource ? { resource: version.resource } : {}),
          request: { method: version.resource ? 'PUT' : 'DELETE', url: `${type}/${id}` },
          response: {
            status: version.resource ? '200' : '204',
            etag: `W/"${version.versionId}"`,
            lastModified: version.lastUpdated,
          },
        })),
        { total: versions.length },
      ),
    };
  };

  /** `GET Type/_history?_since=&_count=&_offset=`: the type's versions newest first, paged by offset. */
  const typeHistory = (type: string, query: Record<string, string[]>): FhirAnswer => {
    if (!FhirStore.isResourceType(type)) throw new HttpError(notFound('Unknown resource type'));
    const since = query._since?.[0];
    if (since !== undefined && Number.isNaN(Date.parse(since)))
      throw new HttpError(badRequest('Invalid _since'));
    const count = Math.min(1000, Math.max(1, Number(query._count?.[0] ?? 100) || 100));
    const offset = Math.max(0, Number(query._offset?.[0] ?? 0) || 0);
    const { versions, more } = store.typeHistory(type, { ...(since ? { since } : {}), offset, count });
    const next = new URLSearchParams({
      ...(since ? { _since: since } : {}),
      _count: String(count),
      _offset: String(offset + count),
    });
    return {
      status: 200,
      body: bundleOf(
        'history',
        versions.map((version) => ({
          fullUrl: `${options.endpoint()}${type}/${version.id}`,
          ...(version.resource ? { resource: version.resource } : {}),
          request: { method: version.resource ? 'PUT' : 'DELETE', url: `${type}/${version.id}` },
          response: {
            status: version.resource ? '200' : '204',
            etag: `W/"${version.versionId}"`,
            lastModified: version.lastUpdated,
          },
        })),
        more ? { link: [{ relation: 'next', url: `${options.endpoint()}${type}/_history?${next}` }] } : {},
      ),
    };
  };

  /**
   * A transaction Bundle POSTed to the base: every entry checked first (at most `maxBundleEntries`, PUT or
   * DELETE of `Type/id`, supported types, valid resources), then all applied; one failure = none applied.
   */
  const transaction = (body: unknown): { status: number; body: Bundle } => {
    const bundle = body as Bundle | null;
    if (typeof bundle !== 'object' || bundle === null || bundle.resourceType !== 'Bundle') {
      throw new HttpError(badRequest('Request body must be a Bundle'));
    }
    if (bundle.type !== 'transaction') {
      throw new HttpError(notSupported('Only transaction Bundles are accepted at the base', 'Bundle.type'));
    }
    const entries = bundle.entry ?? [];
    if (entries.length > maxBundleEntries) {
      throw new HttpError(
        badRequest(
          `Bundle has ${entries.length} entries; at most ${maxBundleEntries} are allowed`,
          'Bundle.entry',
        ),
        'ValidationException',
      );
    }
    const planned = entries.map((entry, index) => {
      const at = `Bundle.entry[${index}]`;
      const method = entry.request?.method;
      const match = ENTRY_URL.exec(entry.request?.url ?? '');
      if (!match || (method !== 'PUT' && method !== 'DELETE')) {
        throw new HttpError(badRequest('Each entry must PUT or DELETE Type/id', `${at}.request`));
      }
      const [, type = '', id = ''] = match;
      if (notSupportedTypes.has(type) || !FhirStore.isResourceType(type)) {
        throw new HttpError(notSupported(`ResourceType ${type} is not supported.`, `${at}.request.url`));
      }
      const resource = entry.resource;
      if (method === 'PUT') {
        if (resource?.resourceType !== type || resource.id !== id) {
          throw new HttpError(badRequest('Entry resource does not match its request url', `${at}.resource`));
        }
        validate(resource);
      }
      return { method, type, id, resource };
    });
    const responses: BundleEntry[] = planned.map(({ method, type, id, resource }) => {
      if (method === 'DELETE') {
        store.delete(type, id);
        return { response: { status: '204' } };
      }
      const { created, resource: stored } = store.put({ ...(resource as Resource), id });
      return {
        response: {
          status: created ? '201' : '200',
          location: `${type}/${id}/_history/${stored.meta?.versionId ?? ''}`,
          etag: `W/"${stored.meta?.versionId ?? ''}"`,
          lastModified: stored.meta?.lastUpdated,
        },
      };
    });
    return { status: 200, body: bundleOf('transaction-response', responses) };
  };

  const searchBundle = (type: string, query: Record<string, string[]>, rawQuery: string): Bundle => {
    const page = store.search(type, query);
    // The next link keeps the caller's parameters as sent and replaces only the paging ones.
    const kept = rawQuery
      .split('&')
      .filter((part) => part !== '' && !/^_(cursor|offset)=/.test(part))
      .join('&');
    const link: Bundle['link'] = [
      { relation: 'self', url: `${options.endpoint()}${type}${rawQuery ? `?${rawQuery}` : ''}` },
    ];
    if (page.next) {
      const paging = 'cursor' in page.next ? `_cursor=${page.next.cursor}` : `_offset=${page.next.offset}`;
      link.push({ relation: 'next', url: `${options.endpoint()}${type}?${kept ? `${kept}&` : ''}${paging}` });
    }
    return bundleOf(
      'searchset',
      [
        ...page.resources.map((resource) => ({
          fullUrl: `${options.endpoint()}${type}/${resource.id}`,
          resource,
          search: { mode: 'match' as const },
        })),
        ...(page.included ?? []).map((resource) => ({
          fullUrl: `${options.endpoint()}${resource.resourceType}/${resource.id}`,
          resource,
          search: { mode: 'include' as const },
        })),
      ],
      { ...(page.total === undefined ? {} : { total: page.total }), link },
    );
  };

  return { dispatch };
};

/**
 * The resource types the stand-in holds (so a `[*]` backfill or reconcile reads only those), except
 * those configured as not supported, with their interactions.
 */
const capabilityStatement = (types: readonly string[], notSupported: ReadonlySet<string>) => ({
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-01-01',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
  rest: [
    {
      mode: 'server',
      resource: [...types]
        .filter((type) => !notSupported.has(type))
        .sort()
        .map((type) => ({
          type,
          interaction: ['read', 'vread', 'update', 'delete', 'search-type'].map((code) => ({ code })),
        })),
    },
  ],
});
