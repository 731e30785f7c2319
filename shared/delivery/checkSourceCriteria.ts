import { SourceError, TransientSourceError, PermanentSourceError } from '../fhirClient/errors.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { FailureReason } from '../messages/failureCause.js';
import { failure } from './sendToHealthLake.js';
import type { DeliveryContext, DeliverMessageDeps, DeliveryOutcome } from './types.js';

/**
 * The search that decides one resource against criteria the source evaluates: `Type?_id={id}&{query}`,
 * asking for the id only (`_elements=id`), so a match brings back no more of the resource than its id.
 *
 * @example
 * sourceCriteriaSearch('Observation?subject.identifier=http://h|1', 'o1')
 * // 'Observation?_id=o1&subject.identifier=http://h|1&_elements=id'
 */
export const sourceCriteriaSearch = (criteria: string, id: string): string => {
  const question = criteria.indexOf('?');
  return `${criteria.slice(0, question)}?_id=${encodeURIComponent(id)}&${criteria.slice(question + 1)}&_elements=id`;
};

/**
 * Decides an upsert against criteria only the source server can evaluate (HAPI evaluates what its
 * in-memory matcher cannot with a database query; this is that query, on the system of record): for
 * each of the message's `sourceCriteria` in turn, a search `Type?_id={id}&{query}` on the source, within
 * half of the time left. `matched` when one finds the resource (same type and id), `filtered` when none
 * does. A search that fails in any way (5xx, 4xx, a redirect, a timeout, an unusable secret) is a
 * transient failure with cause `source-criteria`, retried with the Subscription's backoff and
 * dead-lettered when the retries run out: never taken as "no match". The resource delivered is always
 * the message's own; the source's answer only decides whether.
 *
 * @example
 * const decision = await checkSourceCriteria(message, { attempt: 1, requestTimeoutMs: 20_000 }, deps);
 * if (decision !== 'matched') return decision;
 */
export const checkSourceCriteria = async (
  message: DeliveryMessage,
  context: DeliveryContext,
  deps: DeliverMessageDeps,
): Promise<'matched' | DeliveryOutcome> => {
  const { attempt } = context;
  const criteria = message.subscription.sourceCriteria ?? [];
  if (!deps.source) {
    return failure('terminal-failure', FailureReason.sourceCriteria, attempt, deps.now(), {
      diagnostics:
        "The Subscription's criteria are evaluated on the source FHIR server, and the deliverer has none (SOURCE_FHIR_BASE_URL)",
    });
  }
  const deadline =
    context.requestTimeoutMs === undefined ? undefined : deps.now() + context.requestTimeoutMs / 2;
  try {
    const { reader: source } = await deps.source();
    for (const entry of criteria) {
      const remaining = deadline === undefined ? undefined : deadline - deps.now();
      if (remaining !== undefined && remaining <= 0) {
        return failure('transient-failure', FailureReason.timeLimit, attempt, deps.now());
      }
      const url = source.resolveSearchUrl(sourceCriteriaSearch(entry, message.id));
      const page = await source.searchPage(url, remaining === undefined ? {} : { timeoutMs: remaining });
      const found = page.resources.some(
        (resource) => resource.resourceType === message.resourceType && resource.id === message.id,
      );
      if (found) return 'matched';
    }
    return { kind: 'filtered', by: 'source-criteria' };
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    const status =
      error instanceof TransientSourceError || error instanceof PermanentSourceError
        ? error.status
        : undefined;
    return failure('transient-failure', FailureReason.sourceCriteria, attempt, deps.now(), {
      diagnostics: `The source search deciding the Subscription's criteria failed: ${error.message}`,
      ...(status === undefined ? {} : { status }),
    });
  }
};
