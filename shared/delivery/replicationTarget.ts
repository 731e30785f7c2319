import { checkIdSelector } from '../replication/checkIdSelector.js';
import { ReplicationError } from '../replication/errors.js';
import { isReplicating } from '../replication/replicateId.js';
import { replicatedResourceId, replicateResource } from '../replication/replicateResource.js';
import { replicationTargetKey } from '../replication/replicationTargetKey.js';
import type { ReplicationSettings } from '../replication/types.js';
import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { normalizeEndpoint } from '../subscriptions/endpoints.js';

/** The message's replication settings, checked again here (a message may come from a redrive). */
const settingsOf = (message: DeliveryMessage): ReplicationSettings | undefined => {
  const settings = message.subscription.replication;
  if (!isReplicating(settings)) return undefined;
  if (settings.idPrefixSelector !== undefined) {
    const unsafe = checkIdSelector(settings.idPrefixSelector);
    if (unsafe) throw new ReplicationError(`replicate-id-prefix-selector is refused: ${unsafe}`);
  }
  return settings;
};

/**
 * The id the message's resource has in HealthLake: the source id, or the id rewritten by the
 * subscription's Smile replication settings. Deletes, the PUT URL and the delivered-version record all
 * use it. Throws `ReplicationError` when it would not be a valid FHIR id (over 64 characters).
 *
 * @example
 * healthLakeIdOf(message) // 'CDR1-123' for Patient/123 under replicate-id-prefix CDR1-
 */
export const healthLakeIdOf = (message: DeliveryMessage): string => {
  const settings = settingsOf(message);
  return settings ? replicatedResourceId(message.resourceType, message.id, settings) : message.id;
};

/** The resource as HealthLake receives it: id and references rewritten when the subscription replicates. */
export const toHealthLakeResource = (
  message: DeliveryMessage,
  resource: Record<string, unknown>,
): Record<string, unknown> => {
  const settings = settingsOf(message);
  return settings ? replicateResource(resource, settings) : resource;
};

/**
 * The key the version ledger records for each target a version was enqueued for (see
 * DefaultWritePipeline): the normalised endpoint, plus the replication settings when ids are rewritten.
 */
export const ledgerTargetKey = (message: DeliveryMessage): string => {
  const endpoint = message.subscription.endpoint;
  return replicationTargetKey(
    normalizeEndpoint(endpoint) ?? endpoint,
    message.subscription.replication,
    message.subscription.payloadSearchCriteria,
    message.subscription.transform,
  );
};
