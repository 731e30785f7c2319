import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ENV } from '../../shared/config/constants.js';
import { requireEnv } from '../../shared/config/env.js';
import { loggerFromEnv } from '../../shared/config/powertoolsFromEnv.js';
import { DynamoSubscriptionStore } from '../../shared/subscriptions/DynamoSubscriptionStore.js';
import { parseAllowedEndpoints } from '../../shared/subscriptions/endpoints.js';
import { ensureAutoManagedSubscription } from '../../shared/subscriptions/ensureAutoManagedSubscription.js';
import { revalidateSubscriptions } from '../../shared/subscriptions/revalidateSubscriptions.js';

/** What the CDK `Provider` framework expects back from an onEvent handler. */
interface ProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

const logger = loggerFromEnv('healthlake-connector-subscription-provisioner');
const store = new DynamoSubscriptionStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: requireEnv(ENV.stateTable),
});

const text = (properties: Record<string, unknown>, name: string): string => {
  const value = properties[name];
  if (typeof value !== 'string' || value === '')
    throw new Error(`Custom resource property ${name} is missing`);
  return value;
};

/**
 * Deploy-time custom resource (CDK Provider framework onEvent): creates or updates the connector's
 * auto-managed Subscription, then re-checks every stored Subscription against the deployed
 * allow-list (one whose data store is no longer allowed goes to `error`, with the reason). Delete leaves the Subscription in place: the table is retained with
 * the stack's data, and turning the option off must not silently stop replication mid-flight.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> => {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const properties = event.ResourceProperties as Record<string, unknown>;
  const retryCount = Number(text(properties, 'RetryCount'));
  const allowedEndpoints = parseAllowedEndpoints(text(properties, 'AllowedEndpoints'));
  const result = await ensureAutoManagedSubscription({
    store,
    connectorId: text(properties, 'ConnectorId'),
    criteria: text(properties, 'Criteria'),
    endpoint: text(properties, 'Endpoint'),
    allowedEndpoints,
    ...(Number.isInteger(retryCount) && retryCount > 0 ? { retryCount } : {}),
  });
  const revalidated = await revalidateSubscriptions({ store, allowedEndpoints, logger });
  logger.info('Auto-managed subscription ensured', {
    subscriptionId: result.id,
    created: result.created,
    changed: result.changed,
    statusChanges: revalidated.length,
    requestType: event.RequestType,
  });
  return { PhysicalResourceId: `Subscription/${result.id}`, Data: { SubscriptionId: result.id } };
};
