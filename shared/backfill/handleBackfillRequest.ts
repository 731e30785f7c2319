import { coversEveryType, everythingSearchUrls, withSince } from './everythingSearchUrls.js';
import { randomUUID } from 'node:crypto';
import { decodedPathSegment } from '../http/decodePathSegment.js';
import { FHIR_JSON } from '../http/types.js';
import type { FhirRequest, FhirResponse } from '../http/types.js';
import {
  OperationOutcomeError,
  badRequest,
  conflict,
  forResponse,
  httpStatusOf,
  methodNotAllowed,
  notFound,
  toOutcome,
} from '../fhir/outcomes.js';
import { isFhirId } from '../fhir/ids.js';
import { DEFAULT_BACKFILL_TYPE_ORDER, IDS_PER_MESSAGE, JOB_STATUS_SEGMENT } from './constants.js';
import { batches, createJob, newCursor } from './createJob.js';
import type { JobStore } from './JobStore.js';
import { jobStatusResource } from './jobStatusResource.js';
import { parseTriggerParameters, searchUrlType } from './parseTriggerParameters.js';
import type {
  BackfillJob,
  BackfillLogger,
  CriteriaCompiler,
  ParametersResource,
  SubscriptionLookup,
  WorkMessage,
  WorkQueue,
} from './types.js';

export interface BackfillRouteDeps {
  readonly jobs: JobStore;
  readonly subscriptions: SubscriptionLookup;
  readonly queue: WorkQueue;
  /** When given, searchUrl/resourceId types the criteria can never match are refused with 400. */
  readonly compileCriteria?: CriteriaCompiler;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
  readonly newJobId?: () => string;
  /** resourceIds per work message (default {@link IDS_PER_MESSAGE}). */
  readonly idsPerMessage?: number;
  /** Type order of a backfill of everything (default {@link DEFAULT_BACKFILL_TYPE_ORDER}). */
  readonly typeOrder?: readonly string[];
}

/** The current time from the injected clock (the system clock by default), as an ISO string. */
const isoNow = (deps: BackfillRouteDeps): string => (deps.now ?? (() => new Date()))().toISOString();

const TRIGGER = /^Subscription\/([^/]+)\/\$trigger-subscription$/;
const JOB = new RegExp(`^\\${JOB_STATUS_SEGMENT}/([^/]+)(/\\$cancel)?$`);

const respond = (status: number, body: unknown, headers: Record<string, string> = {}): FhirResponse => ({
  status,
  headers: { 'content-type': FHIR_JSON, ...headers },
  body,
});
const fail = (error: unknown): FhirResponse => {
  const value = toOutcome(error);
  return respond(httpStatusOf(value), forResponse(value));
};

/**
 * The backfill operations as one plain route function:
 * - `POST Subscription/{id}/$trigger-subscription` -> 202 + Parameters(jobId), `Content-Location`/`Location`
 *   `[base]/$backfill-job/{jobId}`; 400 bad input, 404 unknown subscription, 409 subscription not active.
 * - `GET $backfill-job/{jobId}` -> 200 status Parameters (see jobStatusResource); 404 unknown job.
 * - `DELETE $backfill-job/{jobId}` or `POST $backfill-job/{jobId}/$cancel` -> 200 status (cancelled);
 *   409 when the job already completed or failed.
 *
 * Returns `undefined` for any other path, so a router can fall through to its other routes.
 * Authentication is the caller's job (the ingest router authenticates before routing).
 *
 * @example
 * const response = (await handleBackfillRequest(request, deps)) ?? (await otherRoutes(request));
 */
export const handleBackfillRequest = async (
  request: FhirRequest,
  deps: BackfillRouteDeps,
): Promise<FhirResponse | undefined> => {
  const path = request.path.replace(/^\/+|\/+$/g, '');
  const trigger = TRIGGER.exec(path);
  const job = JOB.exec(path);
  if (!trigger && !job) return undefined;
  try {
    if (trigger) {
      if (request.method !== 'POST')
        throw new OperationOutcomeError(methodNotAllowed('$trigger-subscription requires POST'));
      return await triggerSubscription(request, decodedPathSegment(trigger[1] ?? ''), deps);
    }
    const jobId = decodedPathSegment(job?.[1] ?? '');
    const cancel = job?.[2] !== undefined;
    if (!isFhirId(jobId)) throw new OperationOutcomeError(notFound('Unknown backfill job'));
    if (cancel ? request.method === 'POST' : request.method === 'DELETE') return await cancelJob(jobId, deps);
    if (!cancel && request.method === 'GET') {
      const found = await deps.jobs.get(jobId);
      if (!found) throw new OperationOutcomeError(notFound(`Unknown backfill job ${jobId}`));
      return respond(200, jobStatusResource(found));
    }
    throw new OperationOutcomeError(methodNotAllowed(`${request.method} is not supported on a backfill job`));
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      deps.logger?.error('Backfill request failed', {
        requestId: request.requestId,
        error: (error as Error)?.name,
      });
    }
    return fail(error);
  }
};

const triggerSubscription = async (
  request: FhirRequest,
  subscriptionId: string,
  deps: BackfillRouteDeps,
): Promise<FhirResponse> => {
  if (!isFhirId(subscriptionId)) throw new OperationOutcomeError(notFound('Unknown subscription'));
  // No body at all (`curl -X POST .../$trigger-subscription`) is the trigger without parameters:
  // everything the Subscription covers. A body that is not a Parameters resource is still refused.
  const parsed = parseTriggerParameters(request.body ?? { resourceType: 'Parameters' });
  const found = await deps.subscriptions.getSubscription(subscriptionId);
  if (!found) throw new OperationOutcomeError(notFound(`Unknown subscription ${subscriptionId}`));
  if (found.status !== 'active' || !found.active) {
    throw new OperationOutcomeError(
      conflict(
        `Subscription ${subscriptionId} is not active (status ${found.status}); activate it before a backfill`,
      ),
    );
  }
  // Neither searchUrl nor resourceId: everything the subscription covers, supporting types first.
  const everything = parsed.searchUrls.length === 0 && parsed.resourceIds.length === 0;
  const searchUrls = everything
    ? everythingSearchUrls(found.active.criteria, deps.typeOrder ?? DEFAULT_BACKFILL_TYPE_ORDER, parsed.since)
    : parsed.since === undefined
      ? parsed.searchUrls
      : parsed.searchUrls.map((url) => withSince(url, parsed.since as string));
  const input = { resourceIds: parsed.resourceIds, searchUrls };
  if (deps.compileCriteria) {
    const { resourceTypes } = deps.compileCriteria(found.active.criteria);
    const covered = (type: string) =>
      resourceTypes === '*' ? type !== 'Subscription' : resourceTypes.has(type);
    input.searchUrls.forEach((url, index) => {
      if (!covered(searchUrlType(url))) {
        throw new OperationOutcomeError(
          badRequest(
            `searchUrl ${index + 1} targets a resource type the subscription's criteria never match`,
            'searchUrl',
          ),
        );
      }
    });
    const uncovered = input.resourceIds.find((key) => !covered(key.slice(0, key.indexOf('/'))));
    if (uncovered) {
      throw new OperationOutcomeError(
        badRequest(
          `resourceId ${uncovered} is of a type the subscription's criteria never match`,
          'resourceId',
        ),
      );
    }
  }

  const jobId = (deps.newJobId ?? randomUUID)();
  const idBatches = batches(input.resourceIds, deps.idsPerMessage ?? IDS_PER_MESSAGE);
  const job: BackfillJob = {
    jobId,
    subscriptionId,
    state: 'queued',
    createdAt: isoNow(deps),
    counts: { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 },
    streams: [
      ...input.searchUrls.map((searchUrl) => newCursor('search', { searchUrl })),
      ...idBatches.map((ids) => newCursor('ids', { idCount: ids.length })),
    ],
    streamsDone: 0,
    failedIds: [],
  };
  // Page 0 of a search carries the search as submitted; the worker resolves it against the source.
  const messages: WorkMessage[] = [
    ...input.searchUrls.map((pageUrl, searchIndex): WorkMessage => ({
      jobId,
      task: 'search',
      searchIndex,
      pageUrl,
      pageNumber: 0,
      ...(everything && coversEveryType(found.active?.criteria ?? '')
        ? { ifSourceSearchable: true as const }
        : {}),
    })),
    ...idBatches.map((ids, index): WorkMessage => ({
      jobId,
      task: 'ids',
      searchIndex: input.searchUrls.length + index,
      pageNumber: 0,
      ids,
    })),
  ];
  await createJob(deps, job, messages);
  deps.logger?.info('Backfill job created', {
    jobId,
    subscriptionId,
    searchUrls: input.searchUrls.length,
    resourceIds: input.resourceIds.length,
    requestId: request.requestId,
  });
  const location = `${request.baseUrl}/${JOB_STATUS_SEGMENT}/${jobId}`;
  const body: ParametersResource = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'jobId', valueString: jobId },
      { name: 'state', valueCode: 'queued' },
      { name: 'status', valueUrl: location },
    ],
  };
  return respond(202, body, { 'content-location': location, location });
};

const cancelJob = async (jobId: string, deps: BackfillRouteDeps): Promise<FhirResponse> => {
  const now = isoNow(deps);
  const job = await deps.jobs.finish(jobId, 'cancelled', 'Cancelled on request', now);
  if (!job) throw new OperationOutcomeError(notFound(`Unknown backfill job ${jobId}`));
  if (job.state !== 'cancelled') {
    throw new OperationOutcomeError(conflict(`Backfill job ${jobId} already ${job.state}`));
  }
  deps.logger?.info('Backfill job cancelled', { jobId, subscriptionId: job.subscriptionId });
  return respond(200, jobStatusResource(job));
};
