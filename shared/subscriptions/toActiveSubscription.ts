import type { Subscription } from '@medplum/fhirtypes';
import { badRequest, invalidOutcome, OperationOutcomeError } from '../fhir/outcomes.js';
import { readChannelExtensions } from './channelExtensions.js';
import { normalizeEndpoint } from './endpoints.js';
import type { ActiveSubscription } from './types.js';

/**
 * The ingest path's view of a stored, validated Subscription: criteria, normalised endpoint, the HAPI
 * channel extensions resolved with their defaults, and `end`. It does not look at `status` or check
 * the allow-list: ActiveSubscriptionCache decides which subscriptions are active.
 * Throws an `OperationOutcomeError` when the resource lacks what delivery needs (it was not validated).
 *
 * @example
 * toActiveSubscription(stored).endpoint // 'https://healthlake.us-east-1.amazonaws.com/datastore/x/r4/'
 */
export const toActiveSubscription = (subscription: Subscription): ActiveSubscription => {
  const endpoint =
    typeof subscription.channel?.endpoint === 'string'
      ? normalizeEndpoint(subscription.channel.endpoint)
      : undefined;
  if (typeof subscription.id !== 'string' || subscription.id === '') {
    throw new OperationOutcomeError(badRequest('Subscription.id is missing', 'Subscription.id'));
  }
  if (typeof subscription.criteria !== 'string' || subscription.criteria === '') {
    throw new OperationOutcomeError(badRequest('Subscription.criteria is missing', 'Subscription.criteria'));
  }
  if (endpoint === undefined) {
    throw new OperationOutcomeError(
      badRequest('Subscription.channel.endpoint is missing or invalid', 'Subscription.channel.endpoint'),
    );
  }
  const { settings, issues } = readChannelExtensions(subscription as unknown as Record<string, unknown>);
  if (issues.length > 0) {
    throw new OperationOutcomeError(invalidOutcome(issues));
  }
  return {
    id: subscription.id,
    criteria: subscription.criteria,
    endpoint,
    sendDeleteMessages: settings.sendDeleteMessages,
    deliverLatestVersion: settings.deliverLatestVersion,
    ...(settings.deliveryRetryCount === undefined ? {} : { deliveryRetryCount: settings.deliveryRetryCount }),
    stripVersionIds: settings.stripVersionIds,
    ...(subscription.end === undefined ? {} : { end: subscription.end }),
    ...(settings.replication === undefined ? {} : { replication: settings.replication }),
    ...(settings.payloadSearchCriteria === undefined
      ? {}
      : { payloadSearchCriteria: settings.payloadSearchCriteria }),
    ...(settings.transform === undefined ? {} : { transform: settings.transform }),
  };
};
