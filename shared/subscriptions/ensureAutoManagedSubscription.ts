import type { Extension, Subscription } from '@medplum/fhirtypes';
import { SUBSCRIPTION_EXTENSIONS } from '../config/constants.js';
import type { CompiledCriteria } from '../criteria/types.js';
import { isFhirId } from '../fhir/ids.js';
import { parseSubscription } from './parseSubscription.js';
import type { SaveResult, SubscriptionStore } from './SubscriptionStore.js';

export interface AutoManagedSubscriptionOptions {
  readonly store: SubscriptionStore;
  /** The connector id; the subscription id is derived from it (`_` becomes `-`). */
  readonly connectorId: string;
  /** @default '[*]' */
  readonly criteria?: string;
  /** The HealthLake data store endpoint the subscription targets. */
  readonly endpoint: string;
  /** subscription-delivery-retry-count; unset = the deployment default. */
  readonly retryCount?: number;
  /** @default [endpoint] (the configured data store is allowed by construction) */
  readonly allowedEndpoints?: readonly string[];
  readonly now?: Date;
  readonly compile?: (criteria: string) => CompiledCriteria;
}

/** The auto-managed subscription id for a connector id: `_` becomes `-` so it is a valid FHIR id. */
export const autoManagedSubscriptionId = (connectorId: string): string => {
  const id = connectorId.replace(/_/g, '-');
  if (!isFhirId(id)) {
    throw new Error('The connector id does not give a valid FHIR id (1-64 of A-Z a-z 0-9 - . after _ -> -)');
  }
  return id;
};

/**
 * Creates or updates, idempotently, the connector's own Subscription (deploy time, when the
 * autoSubscription option is on): client-assigned id from the connector id, criteria from configuration
 * (default `[*]`), rest-hook to the configured data store, send-delete-messages and
 * deliver-latest-version on. Configuration wins over edits made through the API (an `off` set by
 * hand is turned back on while the option is enabled). When the stored resource already says the
 * same, nothing is written and no new version is made (`changed: false`).
 * Throws the validation OperationOutcomeError when the configured criteria or endpoint are invalid.
 *
 * @example
 * await ensureAutoManagedSubscription({ store, connectorId: 'prod_eu', endpoint });
 * // Subscription/prod-eu, status active
 */
export const ensureAutoManagedSubscription = async (
  options: AutoManagedSubscriptionOptions,
): Promise<SaveResult & { id: string }> => {
  const id = autoManagedSubscriptionId(options.connectorId);
  const extension: Extension[] = [
    { url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: true },
    { url: SUBSCRIPTION_EXTENSIONS.deliverLatestVersion, valueBoolean: true },
    ...(options.retryCount === undefined
      ? []
      : [{ url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, valueInteger: options.retryCount }]),
  ];
  const desired: Subscription = {
    resourceType: 'Subscription',
    id,
    status: 'requested',
    reason: 'Auto-managed by the HealthLake outbound connector',
    criteria: options.criteria ?? '[*]',
    channel: { type: 'rest-hook', endpoint: options.endpoint, payload: 'application/fhir+json', extension },
  };
  const parsed = parseSubscription(desired, {
    interaction: 'update',
    id,
    allowedEndpoints: options.allowedEndpoints ?? [options.endpoint],
    ...(options.now ? { now: options.now } : {}),
    ...(options.compile ? { compile: options.compile } : {}),
  });
  const saved = await options.store.save(parsed.resource, options.now ? { now: options.now } : {});
  return { id, ...saved };
};
