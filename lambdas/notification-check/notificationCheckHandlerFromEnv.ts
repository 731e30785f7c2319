import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { NOTIFICATION_CHECK_CONTRACT } from '../../shared/runtime/notificationCheckContract.js';
import { notificationIntakeFromEnv } from '../../shared/runtime/notificationIntakeFromEnv.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { DynamoSubscriptionStore } from '../../shared/subscriptions/DynamoSubscriptionStore.js';
import {
  createNotificationCheckHandler,
  type NotificationCheckHandler,
} from './createNotificationCheckHandler.js';

/**
 * The heartbeat check handler from its environment (`NOTIFICATION_CHECK_CONTRACT`): the source
 * Subscriptions followed, their states, the backfill queue catch-ups run on, and reconcile compares
 * when the reconcile queue is set. Every problem of the environment is reported at once.
 *
 * @example
 * const handler = notificationCheckHandlerFromEnv(process.env);
 */
export const notificationCheckHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<NotificationCheckHandler> => {
  const values = readEnv(NOTIFICATION_CHECK_CONTRACT, env, 'notification check');
  const logger = sinks.logger ?? loggerFromEnv('notification-check', env);
  const metrics = sinks.metrics ?? metricsFromEnv('notification-check', env);
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  const document = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  // The configured (or regional) SQS endpoint, not the queue URL's host (see writePipelineFromEnv).
  const sqs = new SQSClient({ ...awsClientConfig(values, values.sqsEndpoint), useQueueUrlAsEndpoint: false });
  const tableName = values.stateTable;
  const subscriptions = new DynamoSubscriptionStore({ client: document, tableName });
  const parts = notificationIntakeFromEnv(values, { document, sqs, tableName, subscriptions, logger });
  const handler = createNotificationCheckHandler({ ...parts, logger, metrics });
  return Object.assign((...args: Parameters<NotificationCheckHandler>) => handler(...args), {
    destroy: () => {
      sqs.destroy();
      dynamo.destroy();
    },
  });
};
