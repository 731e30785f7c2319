import { ENV } from '../config/constants.js';
import { AWS_RUNTIME_ENV, endpointVar } from '../config/awsEnv.js';
import { optionalVar, requiredVar } from '../config/envVar.js';
import { RECONCILE_ENV } from '../reconcile/constants.js';
import { NOTIFICATION_ENV_VARS } from './notificationEnv.js';
import { metricDimensionConnectorId } from './writePipelineEnv.js';

/** The heartbeat check Lambda (lambdas/notification-check): source subscription states, catch-up jobs. */
export const NOTIFICATION_CHECK_CONTRACT = {
  ...AWS_RUNTIME_ENV,
  connectorId: metricDimensionConnectorId,
  sqsEndpoint: endpointVar('sqs'),
  dynamodbEndpoint: endpointVar('dynamodb'),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB table: source subscription states, jobs, subscriptions.'),
  backfillQueueUrl: requiredVar(ENV.backfillQueueUrl, 'Backfill work queue: where catch-up jobs run.'),
  reconcileQueueUrl: optionalVar(
    RECONCILE_ENV.queueUrl,
    'Reconcile work queue; set = a catch-up without resource types is a reconcile compare.',
  ),
  ...NOTIFICATION_ENV_VARS,
} as const;
