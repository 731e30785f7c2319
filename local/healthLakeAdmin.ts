import { isFhirId } from '../shared/fhir/ids.js';
import type { FhirResource } from '../shared/fhir/types.js';
import { badRequest, notFound, OperationOutcomeError } from '../shared/fhir/outcomes.js';
import { decodedPathSegment } from '../shared/http/decodePathSegment.js';
import type {
  LocalHealthLakeResource,
  LocalHealthLakeSummary,
  LocalHealthLakeType,
} from '../shared/operator/localAdmin.js';
import { FhirStore, type FhirStandin } from './standins/healthlake/index.js';

/** Ids listed per type at most; the answer says when there are more. */
export const MAX_LISTED_IDS = 1000;
/** The newest requests the summary shows. */
const RECENT_REQUESTS = 20;

/**
 * `GET /_local/healthlake[/{type}[/{id}]]` (admin token only, like every `/_local/*` route): what
 * reached the HealthLake stand-in, which itself answers only SigV4. The summary counts resources per
 * type and lists the newest requests (method, path, version, status: no content); a type lists its ids
 * with their versions; an id answers the current resource and its version history. Types and ids are
 * checked before they are looked up.
 *
 * @example
 * healthLakeAdmin(standin, ['Patient', 'example']); // { resource: {...}, versions: [...] }
 */
export const healthLakeAdmin = (
  standin: FhirStandin | undefined,
  rawSegments: readonly string[],
): LocalHealthLakeSummary | LocalHealthLakeType | LocalHealthLakeResource => {
  if (!standin) {
    throw new OperationOutcomeError(
      notFound(
        'Local mode is delivering to a configured HealthLake endpoint, not the stand-in: read it there',
      ),
    );
  }
  const [type, id, ...rest] = rawSegments.map(decodedPathSegment);
  if (type === undefined) {
    const types = Object.fromEntries(
      standin.store
        .resourceTypes()
        .sort()
        .map((name) => [name, standin.store.count(name)]),
    );
    return {
      endpoint: standin.endpoint,
      total: standin.store.count(),
      types,
      recentRequests: standin.requests.slice(-RECENT_REQUESTS).map((request) => ({
        time: request.time,
        method: request.method,
        path: request.path,
        ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
        ...(request.bundleEntries === undefined ? {} : { bundleEntries: request.bundleEntries }),
        status: request.status,
        ...(request.fault === undefined ? {} : { fault: request.fault }),
      })),
    };
  }
  if (!FhirStore.isResourceType(type)) {
    throw new OperationOutcomeError(badRequest('Not an R4 resource type', 'type'));
  }
  if (id === undefined) {
    const page = standin.store.search(type, { _count: [String(MAX_LISTED_IDS)] });
    return {
      resourceType: type,
      total: standin.store.count(type),
      resources: page.resources.map((resource) => ({
        id: resource.id ?? '',
        versionId: resource.meta?.versionId ?? '',
        lastUpdated: resource.meta?.lastUpdated ?? '',
      })),
      ...(page.next ? { truncated: true } : {}),
    };
  }
  if (!isFhirId(id) || rest.length > 0) {
    throw new OperationOutcomeError(badRequest('Not a FHIR id ([A-Za-z0-9-.]{1,64})', 'id'));
  }
  // 404 when never written, 410 when deleted: the store's own outcomes.
  const versions = standin.store.history(type, id).map((version) => ({
    versionId: version.versionId,
    lastUpdated: version.lastUpdated,
    deleted: version.resource === undefined,
  }));
  return { resource: standin.store.read(type, id) as unknown as FhirResource, versions };
};
