import { isReplicating } from './replicateId.js';
import type { ReplicationSettings } from './types.js';

/**
 * What identifies a delivery target: the endpoint alone, or, when the subscription rewrites ids, the
 * endpoint plus its replication settings. Two subscriptions on one data store with different prefixes are
 * two targets (two copies of a resource under two ids), so they are neither merged, deduplicated nor
 * superseded by each other. Used by the subscription merge, the FIFO deduplication id and the ledger's
 * per-version target list alike.
 *
 * A Subscription's payload search criteria (HAPI's subscription-payload-search-criteria) also make a
 * target of their own: it delivers the search's results, not the resource alone; so does a transform
 * (the connector's subscription-transform), which delivers what the transform returns.
 *
 * @example
 * replicationTargetKey('https://h/r4/', { idPrefix: 'A-' }) // 'https://h/r4/#{"idPrefix":"A-"}'
 */
export const replicationTargetKey = (
  endpoint: string,
  settings?: ReplicationSettings,
  payloadSearchCriteria?: string,
  transform?: string,
): string => {
  const key = replicatedKey(endpoint, settings);
  const searched =
    payloadSearchCriteria === undefined ? key : `${key}#payload-search:${payloadSearchCriteria}`;
  return transform === undefined ? searched : `${searched}#transform:${transform}`;
};

const replicatedKey = (endpoint: string, settings?: ReplicationSettings): string => {
  if (!isReplicating(settings)) return endpoint;
  const canonical = {
    ...(settings.idPrefix ? { idPrefix: settings.idPrefix } : {}),
    ...(settings.idPrefix && settings.idPrefixSelector
      ? { idPrefixSelector: settings.idPrefixSelector }
      : {}),
    ...(settings.stripIdPrefix ? { stripIdPrefix: settings.stripIdPrefix } : {}),
    ...(settings.stripReferenceBaseUrl ? { stripReferenceBaseUrl: settings.stripReferenceBaseUrl } : {}),
  };
  return `${endpoint}#${JSON.stringify(canonical)}`;
};
