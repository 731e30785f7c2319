import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FhirResource } from '../../fhir/types.js';
import { badRequest, methodNotAllowed } from '../../fhir/outcomes.js';
import type { FhirRequest, FhirResponse } from '../../http/types.js';
import type { SubscriptionVerdict } from '../../subscriptions/types.js';
import type { IngestLogger } from '../IngestLogger.js';
import { inspectResource } from './inspectResource.js';
import { fhirJson, outcomeResponse } from './responses.js';

/** The operation's name, as it appears in the URL (`POST [base]/$explain-subscriptions`). */
export const EXPLAIN_SUBSCRIPTIONS_OPERATION = '$explain-subscriptions';

export interface ExplainSubscriptionsDeps {
  /** Every active Subscription's verdict on the resource (ActiveSubscriptionCache.explain, all types). */
  explain(
    resource: FhirResource,
    operation: 'upsert' | 'delete',
    options: { readonly allTypes: true },
  ): Promise<readonly SubscriptionVerdict[]>;
  readonly logger: Pick<IngestLogger, 'info'>;
  /** Check the resource's structure as a write would be. @default true */
  readonly validateResources?: boolean;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Placeholder id of a resource submitted without one (criteria on `_id` then fail, as they would). */
const NO_ID = 'explain-subscriptions';

type Input =
  { readonly body: unknown; readonly operation: 'upsert' | 'delete' } | { readonly problem: string };

/** The resource, bare or as the `resource` part of a Parameters with an optional `operation` code. */
const readInput = (body: unknown): Input => {
  const record = body as { resourceType?: unknown; parameter?: unknown } | undefined;
  if (record?.resourceType !== 'Parameters') return { body, operation: 'upsert' };
  const parameters = Array.isArray(record.parameter) ? (record.parameter as Record<string, unknown>[]) : [];
  const resource = parameters.find((parameter) => parameter?.name === 'resource')?.resource;
  const operation = parameters.find((parameter) => parameter?.name === 'operation')?.valueCode ?? 'upsert';
  if (resource === undefined) return { problem: 'Parameters needs a resource parameter' };
  if (operation !== 'upsert' && operation !== 'delete')
    return { problem: 'operation must be upsert or delete' };
  return { body: resource, operation };
};

const verdictParameter = (verdict: SubscriptionVerdict) => ({
  name: 'subscription',
  part: [
    { name: 'id', valueId: verdict.subscriptionId },
    { name: 'criteria', valueString: verdict.criteria },
    { name: 'endpoint', valueUrl: verdict.endpoint },
    { name: 'matched', valueBoolean: verdict.matched },
    ...(verdict.failed === undefined ? [] : [{ name: 'failed', valueString: verdict.failed }]),
    ...(verdict.decidedBySource ?? []).map((parameter) => ({
      name: 'decidedBySource',
      valueString: parameter,
    })),
  ],
});

/**
 * `POST [base]/$explain-subscriptions` (admin): which active Subscriptions a resource would match and,
 * for each that would not, the first criterion it fails, as a `Parameters` of `subscription` parts (id,
 * criteria, endpoint, matched, failed, decidedBySource). Nothing is recorded, enqueued or delivered.
 * The body is the resource (checked as a write is), or a Parameters with `resource` and `operation`
 * (`upsert`, the default, or `delete`). A resource without `meta.lastUpdated` is judged as recorded now,
 * as a write would be. Parameters only the source evaluates are listed under `decidedBySource`, not
 * searched. Answers only its own path (`undefined` for the rest); logs counts, never content.
 *
 * @example
 * const routes = [(request) => handleExplainSubscriptions(request, { explain: (r, o, x) => cache.explain(r, o, x), logger })];
 */
export const handleExplainSubscriptions = async (
  request: FhirRequest,
  deps: ExplainSubscriptionsDeps,
): Promise<FhirResponse | undefined> => {
  if (request.path.replace(/^\/+|\/+$/g, '') !== EXPLAIN_SUBSCRIPTIONS_OPERATION) return undefined;
  if (request.method !== 'POST') {
    return outcomeResponse(methodNotAllowed(`${EXPLAIN_SUBSCRIPTIONS_OPERATION} is invoked with POST`));
  }
  const input = readInput(request.body);
  if ('problem' in input) return outcomeResponse(badRequest(input.problem, 'Parameters'));
  const submitted = input.body as { id?: unknown; resourceType?: unknown } | undefined;
  const root = typeof submitted?.resourceType === 'string' ? submitted.resourceType : 'Resource';
  const now = (deps.now ?? (() => new Date()))();
  const inspection = inspectResource(input.body, {
    root,
    ...(submitted?.id === undefined ? { assignedId: NO_ID } : {}),
    validate: deps.validateResources ?? true,
  });
  if (!inspection.ok) {
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      id: '400',
      issue: inspection.issues,
    };
    return outcomeResponse(outcome);
  }
  const meta = (inspection.resource.meta ?? {}) as { lastUpdated?: unknown };
  const resource =
    meta.lastUpdated === undefined
      ? { ...inspection.resource, meta: { ...meta, lastUpdated: now.toISOString() } }
      : inspection.resource;
  const verdicts = await deps.explain(resource, input.operation, { allTypes: true });
  deps.logger.info('Subscriptions explained', {
    requestId: request.requestId,
    resourceType: resource.resourceType,
    operation: input.operation,
    subscriptions: verdicts.length,
    matched: verdicts.filter((verdict) => verdict.matched).length,
  });
  return fhirJson(200, { resourceType: 'Parameters', parameter: verdicts.map(verdictParameter) });
};
