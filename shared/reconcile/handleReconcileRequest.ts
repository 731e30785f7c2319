import { randomUUID } from 'node:crypto';
import type { CriteriaCompiler, BackfillLogger, SubscriptionLookup, WorkQueue } from '../backfill/types.js';
import {
  OperationOutcomeError,
  badRequest,
  conflict,
  forResponse,
  httpStatusOf,
  methodNotAllowed,
  notFound,
  outcome,
  serviceUnavailable,
  toOutcome,
} from '../fhir/outcomes.js';
import { isFhirId } from '../fhir/ids.js';
import { decodedPathSegment } from '../http/decodePathSegment.js';
import { FHIR_JSON } from '../http/types.js';
import type { FhirRequest, FhirResponse } from '../http/types.js';
import { RECONCILE_JOB_SEGMENT, RECONCILE_OPERATION } from './constants.js';
import { replicationTargetKey } from '../replication/replicationTargetKey.js';
import { checkPruneConfirmation } from './checkPruneConfirmation.js';
import { parseReconcileParameters, type ReconcileInput } from './parseReconcileParameters.js';
import type { ReconcileJobStore } from './ReconcileJobStore.js';
import { reconcileStatusResource } from './reconcileStatusResource.js';
import type { ReconcileJob, ReconcileMessage } from './types.js';

export interface ReconcileRouteDeps {
  readonly jobs: ReconcileJobStore;
  readonly subscriptions: SubscriptionLookup;
  readonly queue: WorkQueue<ReconcileMessage>;
  readonly compileCriteria: CriteriaCompiler;
  /** `s3://bucket/reconcile/{jobId}/` for a job, when id lists are written. */
  readonly idListLocation?: (jobId: string) => string;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
  readonly newJobId?: () => string;
}

const JOB = new RegExp(`^\\${RECONCILE_JOB_SEGMENT}/([^/]+)$`);

const respond = (status: number, body: unknown, headers: Record<string, string> = {}): FhirResponse => ({
  status,
  headers: { 'content-type': FHIR_JSON, ...headers },
  body,
});

/**
 * The reconcile operations as one plain route function (admin only: register it where backfill's
 * routes are):
 * - `POST $reconcile` (Parameters, see parseReconcileParameters) -> 202 + Parameters(jobId, status),
 *   `Content-Location` `[base]/$reconcile-job/{jobId}`; 400 bad input, 404 unknown subscription or
 *   compare job, 409 inactive subscription or an unusable prune confirmation (checkPruneConfirmation).
 * - `GET $reconcile-job/{jobId}` -> 200 report Parameters; `DELETE` -> 200 cancelled; 409 when final.
 * Returns `undefined` for any other path.
 *
 * @example
 * const response = (await handleReconcileRequest(request, deps)) ?? (await otherRoutes(request));
 */
export const handleReconcileRequest = async (
  request: FhirRequest,
  deps: ReconcileRouteDeps,
): Promise<FhirResponse | undefined> => {
  const path = request.path.replace(/^\/+|\/+$/g, '');
  const job = JOB.exec(path);
  if (path !== RECONCILE_OPERATION && !job) return undefined;
  try {
    if (!job) {
      if (request.method !== 'POST')
        throw new OperationOutcomeError(methodNotAllowed('$reconcile requires POST'));
      return await start(request, deps);
    }
    const jobId = decodedPathSegment(job[1] ?? '');
    if (!isFhirId(jobId)) throw new OperationOutcomeError(notFound('Unknown reconcile job'));
    if (request.method === 'GET') {
      const found = await deps.jobs.get(jobId);
      if (!found) throw new OperationOutcomeError(notFound(`Unknown reconcile job ${jobId}`));
      return respond(200, reconcileStatusResource(found));
    }
    if (request.method === 'DELETE') return await cancel(jobId, deps);
    throw new OperationOutcomeError(
      methodNotAllowed(`${request.method} is not supported on a reconcile job`),
    );
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      deps.logger?.error('Reconcile request failed', {
        requestId: request.requestId,
        error: (error as Error)?.name,
      });
    }
    const value = toOutcome(error);
    return respond(httpStatusOf(value), forResponse(value));
  }
};

/**
 * Starts a reconcile job from checked input: the subscription must exist and be active, every type in
 * scope one its criteria can match, a prune confirmed by its compare job. Returns the job id. Used by
 * `$reconcile` and by the catch-up of backport notifications that can do nothing narrower.
 *
 * @example
 * const jobId = await startReconcileJob({ subscriptionId, mode: 'compare', contentHash: false, scope }, deps);
 */
export const startReconcileJob = async (
  input: ReconcileInput,
  deps: ReconcileRouteDeps,
  requestId?: string,
): Promise<string> => {
  const found = await deps.subscriptions.getSubscription(input.subscriptionId);
  if (!found) throw new OperationOutcomeError(notFound(`Unknown subscription ${input.subscriptionId}`));
  if (found.status !== 'active' || !found.active)
    throw new OperationOutcomeError(
      conflict(
        `Subscription ${input.subscriptionId} is not active (status ${found.status}); activate it first`,
      ),
    );
  if (input.mode === 'repair-and-prune' && !found.active.sendDeleteMessages)
    throw new OperationOutcomeError(
      conflict(`Subscription ${input.subscriptionId} does not send deletes, so nothing could be pruned`),
    );
  const { resourceTypes, sourceQuery } = deps.compileCriteria(found.active.criteria);
  if (sourceQuery !== undefined) {
    // Reconcile decides membership in memory, page by page; a search per resource would be its own job.
    throw new OperationOutcomeError(
      outcome(
        'not-supported',
        `Subscription ${input.subscriptionId} has criteria only the source server can evaluate (chains, _has, ...): reconcile cannot decide which resources belong in HealthLake; use $trigger-subscription`,
        { status: 422, expression: 'Subscription.criteria' },
      ),
    );
  }
  if (found.active.transform !== undefined) {
    // A repair would rewrite every transformed copy with the source's, a prune could not tell them apart.
    throw new OperationOutcomeError(
      outcome(
        'not-supported',
        `Subscription ${input.subscriptionId} has a transform (subscription-transform): HealthLake holds what the transform returned, so reconcile cannot compare it with the source; use $trigger-subscription`,
        { status: 422, expression: 'Subscription.extension' },
      ),
    );
  }
  const covered = (type: string) =>
    resourceTypes === '*' ? type !== 'Subscription' : resourceTypes.has(type);
  const uncovered = [
    ...input.scope.resourceTypes.map((type) => ['resourceType', type] as const),
    ...input.scope.searchUrls.map((url) => ['searchUrl', url.slice(0, url.indexOf('?'))] as const),
    ...input.scope.resourceIds.map((key) => ['resourceId', key.slice(0, key.indexOf('/'))] as const),
  ].find(([, type]) => !covered(type));
  if (uncovered) {
    throw new OperationOutcomeError(
      badRequest(
        `A ${uncovered[0]} targets a resource type the subscription's criteria never match`,
        uncovered[0],
      ),
    );
  }
  const target = replicationTargetKey(
    found.active.endpoint,
    found.active.replication,
    found.active.payloadSearchCriteria,
  );
  await checkPruneConfirmation(input, target, deps.jobs);

  const jobId = (deps.newJobId ?? randomUUID)();
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const job: ReconcileJob = {
    jobId,
    subscriptionId: input.subscriptionId,
    mode: input.mode,
    contentHash: input.contentHash,
    scope: input.scope,
    ...(input.pruneConfirmation === undefined ? {} : { pruneConfirmation: input.pruneConfirmation }),
    ...(input.compareJobId === undefined ? {} : { compareJobId: input.compareJobId }),
    target,
    state: 'queued',
    createdAt: now,
    planned: false,
    streams: [],
    streamsDone: 0,
    counts: {},
    samples: [],
    ...(deps.idListLocation ? { idLists: deps.idListLocation(jobId) } : {}),
  };
  await deps.jobs.create(job);
  try {
    await deps.queue.send([{ jobId, task: 'plan' }]);
  } catch (error) {
    await deps.jobs.finish(jobId, 'failed', 'Could not enqueue the reconcile work', now);
    deps.logger?.error('Reconcile enqueue failed', { jobId, error: (error as Error)?.name });
    throw new OperationOutcomeError(serviceUnavailable('Could not start the reconcile; retry later'), error);
  }
  deps.logger?.info('Reconcile job created', {
    jobId,
    subscriptionId: input.subscriptionId,
    mode: input.mode,
    requestId,
  });
  return jobId;
};

const start = async (request: FhirRequest, deps: ReconcileRouteDeps): Promise<FhirResponse> => {
  const jobId = await startReconcileJob(parseReconcileParameters(request.body), deps, request.requestId);
  const location = `${request.baseUrl}/${RECONCILE_JOB_SEGMENT}/${jobId}`;
  return respond(
    202,
    {
      resourceType: 'Parameters',
      parameter: [
        { name: 'jobId', valueString: jobId },
        { name: 'state', valueCode: 'queued' },
        { name: 'status', valueUrl: location },
      ],
    },
    { 'content-location': location, location },
  );
};

const cancel = async (jobId: string, deps: ReconcileRouteDeps): Promise<FhirResponse> => {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const job = await deps.jobs.finish(jobId, 'cancelled', 'Cancelled on request', now);
  if (!job) throw new OperationOutcomeError(notFound(`Unknown reconcile job ${jobId}`));
  if (job.state !== 'cancelled')
    throw new OperationOutcomeError(conflict(`Reconcile job ${jobId} already ${job.state}`));
  deps.logger?.info('Reconcile job cancelled', { jobId, subscriptionId: job.subscriptionId });
  return respond(200, reconcileStatusResource(job));
};
