import type { FhirResource } from '../fhir/types.js';
import { jsonShapeProblem } from '../fhir/jsonDepth.js';
import { INGEST_DEFAULTS } from '../ingest/constants.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { FailureReason } from '../messages/failureCause.js';
import { failure } from './sendToHealthLake.js';
import { TransformError } from './errors.js';
import { DEFAULT_TRANSFORM_TIMEOUT_MS, MAX_TRANSFORM_OUTPUT_BYTES } from './transformInvoker.js';
import type { DeliveryContext, DeliverMessageDeps, DeliveryOutcome } from './types.js';

/**
 * Runs the Subscription's transform on the resource about to be delivered (the source's copy, before
 * any id rewriting) and checks what it returns as hostile input: at most 5 MiB, JSON, and then the
 * resource it was given (same `resourceType` and `id`), passing the checks a source copy passes
 * (nesting depth, no prototype keys, a replicated type, the structure validator, the clock-skew rule).
 * `null` or nothing is `filtered` (counted, never silent). Failures to run are retried or dead-lettered
 * as the invoker says; an answer that fails the checks is dead-lettered at once with cause `transform`.
 * The time limit is `deps.transformTimeoutMs`, and at most half of what the invocation has left.
 *
 * @example
 * const result = await applyTransform(message, resource, { attempt: 1, requestTimeoutMs: 20_000 }, deps);
 * if (!('resource' in result)) return result;
 */
export const applyTransform = async (
  message: DeliveryMessage,
  resource: Record<string, unknown>,
  context: DeliveryContext,
  deps: DeliverMessageDeps,
): Promise<{ readonly resource: Record<string, unknown> } | DeliveryOutcome> => {
  const { attempt } = context;
  const name = message.subscription.transform ?? '';
  const terminal = (diagnostics: string) =>
    failure('terminal-failure', FailureReason.transform, attempt, deps.now(), { diagnostics });
  if (!deps.transform) {
    return terminal(
      `The Subscription names transform ${name}, and this deliverer has none (DELIVERY_TRANSFORMS)`,
    );
  }
  const configured = deps.transformTimeoutMs ?? DEFAULT_TRANSFORM_TIMEOUT_MS;
  const timeoutMs = Math.max(
    1,
    Math.floor(
      context.requestTimeoutMs === undefined
        ? configured
        : Math.min(configured, context.requestTimeoutMs / 2),
    ),
  );
  let answer: Uint8Array;
  try {
    answer = await deps.transform.invoke(
      name,
      {
        resource,
        resourceType: message.resourceType,
        id: message.id,
        versionId: message.versionId,
        subscriptionId: message.subscription.id,
      },
      { timeoutMs },
    );
  } catch (error) {
    if (!(error instanceof TransformError)) throw error;
    return failure(
      error.kind === 'transient' ? 'transient-failure' : 'terminal-failure',
      FailureReason.transform,
      attempt,
      deps.now(),
      { diagnostics: error.message },
    );
  }
  if (answer.byteLength > MAX_TRANSFORM_OUTPUT_BYTES) {
    return terminal(
      `Transform ${name} returned ${answer.byteLength} bytes, more than ${MAX_TRANSFORM_OUTPUT_BYTES}`,
    );
  }
  const text = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength).toString('utf8').trim();
  if (text === '' || text === 'null') return { kind: 'filtered', by: 'transform' };
  let output: unknown;
  try {
    output = JSON.parse(text);
  } catch {
    return terminal(`Transform ${name} returned something that is not JSON`);
  }
  const returned = output as { resourceType?: unknown; id?: unknown } | null;
  if (
    typeof returned !== 'object' ||
    returned === null ||
    Array.isArray(returned) ||
    returned.resourceType !== message.resourceType ||
    returned.id !== message.id
  ) {
    return terminal(
      `Transform ${name} returned something other than the ${message.resourceType} it was given (a transform may change a resource, never its type or id)`,
    );
  }
  if (jsonShapeProblem(output, INGEST_DEFAULTS.maxJsonDepth)) {
    return terminal(`Transform ${name} returned JSON nested too deep or with a prototype key`);
  }
  // The structure validator loads with the first transform: no cost to a deliverer without one.
  const { checkSourceResource } = await import('../ingest/checkSourceResource.js');
  const check = checkSourceResource(output, {
    expected: { resourceType: message.resourceType, id: message.id },
    now: () => new Date(deps.now()),
  });
  if (!check.ok) {
    return terminal(
      `Transform ${name} returned a ${message.resourceType} that fails the checks a source copy gets (structure, required bindings, meta.lastUpdated within the clock skew)`,
    );
  }
  return { resource: check.resource as FhirResource & Record<string, unknown> };
};
