import { SourceConfigurationError } from '../fhirClient/errors.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { PayloadSearchError } from '../payloadSearch/errors.js';
import { runPayloadSearch } from '../payloadSearch/runPayloadSearch.js';
import { transactionBundle } from '../payloadSearch/transactionBundle.js';
import { ReplicationError } from '../replication/errors.js';
import type { DeliveryContext, DeliverMessageDeps } from './types.js';
import { toHealthLakeResource } from './replicationTarget.js';
import { failure, sendToHealthLake } from './sendToHealthLake.js';
import { stripVersionIds } from './stripVersionIds.js';
import { type DeliveryOutcome } from './types.js';
import { FailureReason } from '../messages/failureCause.js';

/**
 * Delivers an upsert of a Subscription with HAPI's `subscription-payload-search-criteria`: runs the
 * search on the source server for the matched resource (runPayloadSearch), applies the subscription's
 * replication and strip-version-ids settings to every result, and POSTs them to the data store as one
 * transaction Bundle of PUTs (at most `deps.maxBundleEntries`, default 160), paced by the client's
 * Bundle rate. Every result must first pass the source's `check` (backfill's checks); one that fails
 * dead-letters the message with its `Type/id`, never its content. HealthLake's
 * answer is classified like a PUT's, except that `not-supported` is terminal (the whole Bundle failed).
 * Search failures are transient or terminal as runPayloadSearch says; no configured source is terminal.
 *
 * @example
 * const outcome = await deliverPayloadSearch(message, criteria, { attempt: 1 }, deps);
 */
export const deliverPayloadSearch = async (
  message: DeliveryMessage,
  criteria: string,
  context: DeliveryContext,
  deps: DeliverMessageDeps,
): Promise<DeliveryOutcome> => {
  const { attempt } = context;
  if (!deps.source) {
    return failure('terminal-failure', FailureReason.payloadSearch, attempt, deps.now(), {
      diagnostics:
        'The Subscription uses payload search but the deliverer has no source FHIR server (SOURCE_FHIR_BASE_URL)',
    });
  }
  const started = deps.now();
  const deadline = context.requestTimeoutMs === undefined ? undefined : started + context.requestTimeoutMs;
  // The search may use half of the time; the Bundle POST gets the rest.
  const searchDeadline =
    context.requestTimeoutMs === undefined ? undefined : started + context.requestTimeoutMs / 2;
  let body: string;
  try {
    const { reader, check } = await deps.source();
    const found = await runPayloadSearch(criteria, message.resourceType, message.id, reader, {
      deadline: searchDeadline,
      now: deps.now,
      ...(deps.maxBundleEntries === undefined ? {} : { maxEntries: deps.maxBundleEntries }),
    });
    // Source data is hostile until checked: every result gets the checks backfill applies.
    const resources = found.map((resource) => {
      const result = check(resource);
      if (!result.ok) {
        throw new PayloadSearchError(
          'terminal',
          `Payload search result ${result.failedId} failed the checks applied to source resources (replicated R4 type, id, JSON shape, clock skew, structure)`,
        );
      }
      return result.resource;
    });
    const rewritten = resources.map((resource) => {
      let result = toHealthLakeResource(message, resource as Record<string, unknown>);
      if (message.subscription.stripVersionIds) result = stripVersionIds(result);
      return result as typeof resource & { resourceType: string; id: string };
    });
    body = JSON.stringify(transactionBundle(rewritten));
  } catch (error) {
    if (error instanceof PayloadSearchError) {
      return failure(
        error.kind === 'transient' ? 'transient-failure' : 'terminal-failure',
        FailureReason.payloadSearch,
        attempt,
        deps.now(),
        { diagnostics: error.message, ...(error.status === undefined ? {} : { status: error.status }) },
      );
    }
    if (error instanceof ReplicationError) {
      return failure('terminal-failure', FailureReason.replication, attempt, deps.now(), {
        diagnostics: error.message,
      });
    }
    if (error instanceof SourceConfigurationError) {
      // The source's secret or auth settings are unusable: an operator can fix it before retries run out.
      return failure('transient-failure', FailureReason.payloadSearch, attempt, deps.now(), {
        diagnostics: error.message,
      });
    }
    throw error;
  }

  const endpoint = message.subscription.endpoint;
  const client = deps.healthLake(endpoint);
  if (!client.transaction) throw new Error('The HealthLake client cannot send transaction Bundles');
  const remaining = deadline === undefined ? undefined : deadline - deps.now();
  // Stryker disable next-line ConditionalExpression: without a deadline, `undefined <= 0` is false as well
  if (remaining !== undefined && remaining <= 0) {
    return failure('transient-failure', FailureReason.timeLimit, attempt, deps.now());
  }
  const send = client.transaction.bind(client);
  return sendToHealthLake(
    'transaction',
    () => send(body, remaining === undefined ? undefined : { timeoutMs: remaining }),
    endpoint,
    attempt,
    deps,
  );
};
