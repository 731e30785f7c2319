import type { CompiledCriteria } from '../criteria/types.js';
import { PermanentSourceError } from '../fhirClient/errors.js';
import { searchUrlType } from '../backfill/parseTriggerParameters.js';
import { INFRASTRUCTURE_TYPES, RECONCILE_IDS_PER_MESSAGE } from './constants.js';
import type { ReconcileJob, ReconcileStream } from './types.js';

/** Types the CapabilityStatement says the server can search (`search-type` interaction). */
export const searchableTypes = (capabilityStatement: unknown): string[] => {
  const rest = (
    capabilityStatement as {
      rest?: { resource?: { type?: unknown; interaction?: { code?: unknown }[] }[] }[];
    }
  )?.rest;
  if (!Array.isArray(rest))
    throw new PermanentSourceError('The source CapabilityStatement lists no REST capabilities');
  return rest.flatMap((entry) =>
    (entry.resource ?? []).flatMap((resource) =>
      typeof resource.type === 'string' &&
      (resource.interaction ?? []).some((interaction) => interaction.code === 'search-type')
        ? [resource.type]
        : [],
    ),
  );
};

/** `query` with the job's `_lastUpdated` window appended. */
const windowed = (query: string, job: ReconcileJob): string => {
  const window = [
    ...(job.scope.since ? [`_lastUpdated=ge${encodeURIComponent(job.scope.since)}`] : []),
    ...(job.scope.until ? [`_lastUpdated=lt${encodeURIComponent(job.scope.until)}`] : []),
  ];
  if (window.length === 0) return query;
  return `${query}${query.includes('?') ? (query.endsWith('?') ? '' : '&') : '?'}${window.join('&')}`;
};

const searchStreams = (resourceType: string, query: string): ReconcileStream[] =>
  (['source', 'healthlake'] as const).map((side) => ({
    side,
    resourceType,
    query,
    page: -1,
    nextEnqueued: true,
    done: false,
  }));

/**
 * The streams of a job, in the order of its scope: for each resource type (the requested ones, or
 * every type the source can search minus infrastructure types, as far as the subscription's criteria
 * can match them) a source stream and a HealthLake stream; the same pair for each search URL; one
 * stream per batch of resource ids. The `_lastUpdated` window applies to every search.
 */
export const planStreams = async (
  job: ReconcileJob,
  criteriaTypes: CompiledCriteria['resourceTypes'],
  capabilityStatement: () => Promise<unknown>,
): Promise<ReconcileStream[]> => {
  const covered = (type: string) =>
    criteriaTypes === '*' ? type !== 'Subscription' : criteriaTypes.has(type);
  const { scope } = job;
  if (scope.resourceIds.length > 0) {
    const streams: ReconcileStream[] = [];
    for (let start = 0; start < scope.resourceIds.length; start += RECONCILE_IDS_PER_MESSAGE) {
      streams.push({
        side: 'ids',
        idStart: start,
        idCount: Math.min(RECONCILE_IDS_PER_MESSAGE, scope.resourceIds.length - start),
        page: -1,
        nextEnqueued: true,
        done: false,
      });
    }
    return streams;
  }
  let types = scope.resourceTypes;
  if (types.length === 0 && scope.searchUrls.length === 0) {
    types = searchableTypes(await capabilityStatement()).filter((type) => !INFRASTRUCTURE_TYPES.has(type));
  }
  return [
    ...types.filter(covered).flatMap((type) => searchStreams(type, windowed(`${type}?`, job))),
    ...scope.searchUrls
      .map((url) => url.replace(/^\/+/, ''))
      .flatMap((url) => searchStreams(searchUrlType(url), windowed(url, job))),
  ];
};
