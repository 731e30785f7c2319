import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { SUBSCRIPTION_PROVISIONER_CONTRACT } from '../../shared/runtime/subscriptionProvisionerContract.js';
import { loggerFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { DynamoSubscriptionStore } from '../../shared/subscriptions/DynamoSubscriptionStore.js';
import { parseAllowedEndpoints } from '../../shared/subscriptions/endpoints.js';
import { ensureAutoManagedSubscription } from '../../shared/subscriptions/ensureAutoManagedSubscription.js';
import { revalidateSubscriptions } from '../../shared/subscriptions/revalidateSubscriptions.js';
import { retryAccessDenied, type AccessDeniedRetry } from './retryAccessDenied.js';

/** What the CDK `Provider` framework expects back from an onEvent handler. */
export interface ProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export type ProvisionerHandler = (event: CloudFormationCustomResourceEvent) => Promise<ProviderResponse>;

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
 * AccessDenied is retried for about 30 s (`retry`): the function's role is as new as the deploy.
 */
export const subscriptionProvisionerHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
  retry: AccessDeniedRetry = {},
): Destroyable<ProvisionerHandler> => {
  const values = readEnv(SUBSCRIPTION_PROVISIONER_CONTRACT, env, 'subscription provisioner');
  const logger = sinks.logger ?? loggerFromEnv('healthlake-connector-subscription-provisioner', env);
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  const store = new DynamoSubscriptionStore({
    client: DynamoDBDocumentClient.from(dynamo),
    tableName: values.stateTable,
  });
  const handler: ProvisionerHandler = (event) =>
    retryAccessDenied(() => provision(event, store, logger), {
      onRetry: (attempt, errorName, delayMs) =>
        logger.warn('Access denied; retrying while IAM propagates the new role', {
          attempt,
          errorName,
          delayMs,
          requestType: event.RequestType,
        }),
      ...retry,
    });
  return Object.assign(handler, { destroy: () => dynamo.destroy() });
};

const provision = async (
  event: CloudFormationCustomResourceEvent,
  store: DynamoSubscriptionStore,
  logger: Logger,
): Promise<ProviderResponse> => {
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
