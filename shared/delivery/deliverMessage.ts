import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { normalizeEndpoint } from '../subscriptions/endpoints.js';
import { compareVersions } from '../versions/compareVersions.js';
import type { LedgerEntry } from '../versions/VersionLedger.js';
import { applyTransform } from './applyTransform.js';
import { checkSourceCriteria } from './checkSourceCriteria.js';
import { deliverPayloadSearch } from './deliverPayloadSearch.js';
import { PayloadError } from './errors.js';
import { loadPayload } from './loadPayload.js';
import { ReplicationError } from '../replication/errors.js';
import { healthLakeIdOf, ledgerTargetKey, toHealthLakeResource } from './replicationTarget.js';
import { stripVersionIds } from './stripVersionIds.js';
import { failure, sendToHealthLake } from './sendToHealthLake.js';
import type { DeliveryContext, DeliverMessageDeps, DeliveryOutcome } from './types.js';
import { FailureReason } from '../messages/failureCause.js';

/**
 * Whether the ledger's latest version supersedes the message for its endpoint: it is newer and was
 * enqueued for that endpoint too (a newer version that matched no subscription there never arrives,
 * so the older one must). An entry that does not record its endpoints supersedes everywhere.
 */
const supersededByLedger = (message: DeliveryMessage, latest: LedgerEntry): boolean => {
  if (compareVersions(message, latest) >= 0) return false;
  if (latest.endpoints === undefined) return true;
  // Entries are target keys: a normalised endpoint, with replication settings when ids are rewritten.
  const key = ledgerTargetKey(message);
  return latest.endpoints.some((entry) => (normalizeEndpoint(entry) ?? entry) === key);
};

/**
 * Delivers one validated message to HealthLake and says what happened; never throws for an expected
 * failure. Skips a version older than the ledger's latest when the subscription delivers the latest
 * version only and that latest was enqueued for this endpoint too, and a version older than the one
 * already delivered to this endpoint (always), so an older version never overwrites a newer one. With
 * `sourceCriteria`, an upsert is delivered only if the source server finds it for them
 * (checkSourceCriteria); otherwise it is `filtered`. With a `transform`, what the transform returns
 * is delivered instead (applyTransform), or nothing (`filtered`).
 *
 * @example
 * const outcome = await deliverMessage(message, { attempt: 1, latest, delivered }, deps);
 * if (outcome.kind === 'transient-failure') // back off and retry
 */
export const deliverMessage = async (
  message: DeliveryMessage,
  context: DeliveryContext,
  deps: DeliverMessageDeps,
): Promise<DeliveryOutcome> => {
  const { attempt } = context;
  if (message.subscription.deliverLatestVersion && context.latest) {
    if (supersededByLedger(message, context.latest)) {
      return { kind: 'stale-skipped', newer: context.latest, against: 'ledger' };
    }
  }
  if (context.delivered && compareVersions(message, context.delivered) < 0) {
    return { kind: 'stale-skipped', newer: context.delivered, against: 'delivered' };
  }

  // Each step (source criteria, transform) gets what the steps before it left of the time.
  const started = deps.now();
  const left = (): DeliveryContext | undefined => {
    if (context.requestTimeoutMs === undefined) return context;
    const remaining = context.requestTimeoutMs - (deps.now() - started);
    return remaining > 0 ? { ...context, requestTimeoutMs: remaining } : undefined;
  };
  const outOfTime = () => failure('transient-failure', FailureReason.timeLimit, attempt, deps.now());

  if (message.operation === 'upsert' && message.subscription.sourceCriteria !== undefined) {
    const decision = await checkSourceCriteria(message, context, deps);
    if (decision !== 'matched') return decision;
  }

  if (message.operation === 'upsert' && message.subscription.payloadSearchCriteria !== undefined) {
    const timing = left();
    if (!timing) return outOfTime();
    return deliverPayloadSearch(message, message.subscription.payloadSearchCriteria, timing, deps);
  }

  let body: string | undefined;
  if (message.operation === 'upsert' && message.payload) {
    try {
      let resource = await loadPayload(message.payload, deps.s3);
      if (resource.resourceType !== message.resourceType || resource.id !== message.id) {
        return failure('terminal-failure', FailureReason.payloadCorrupt, attempt, deps.now(), {
          diagnostics: 'payload resourceType/id do not match the message',
        });
      }
      if (message.subscription.transform !== undefined) {
        const timing = left();
        if (!timing) return outOfTime();
        const transformed = await applyTransform(message, resource, timing, deps);
        if (!('resource' in transformed)) return transformed;
        resource = transformed.resource;
      }
      resource = toHealthLakeResource(message, resource);
      if (message.subscription.stripVersionIds) resource = stripVersionIds(resource);
      body = JSON.stringify(resource);
    } catch (error) {
      if (error instanceof ReplicationError) {
        return failure('terminal-failure', FailureReason.replication, attempt, deps.now(), {
          diagnostics: error.message,
        });
      }
      if (error instanceof PayloadError) {
        const kind = error.reason === 'payload-unavailable' ? 'transient-failure' : 'terminal-failure';
        return failure(kind, error.reason, attempt, deps.now(), { diagnostics: error.message });
      }
      throw error;
    }
  }

  const endpoint = message.subscription.endpoint;
  const client = deps.healthLake(endpoint);
  let id: string;
  try {
    id = healthLakeIdOf(message);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: healthLakeIdOf throws ReplicationError only; a guard for the future
    if (!(error instanceof ReplicationError)) throw error;
    return failure('terminal-failure', FailureReason.replication, attempt, deps.now(), {
      diagnostics: error.message,
    });
  }
  const timing = left();
  if (!timing) return outOfTime();
  const options = timing.requestTimeoutMs === undefined ? undefined : { timeoutMs: timing.requestTimeoutMs };
  return sendToHealthLake(
    message.operation,
    () =>
      body === undefined
        ? client.delete(message.resourceType, id, options)
        : client.put(message.resourceType, id, body, options),
    endpoint,
    attempt,
    deps,
  );
};
