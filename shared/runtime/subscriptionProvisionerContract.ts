import { ENV } from '../config/constants.js';
import { AWS_RUNTIME_ENV, endpointVar } from '../config/awsEnv.js';
import { requiredVar } from '../config/envVar.js';
import { metricDimensionConnectorId } from './writePipelineEnv.js';

/** The deploy-time subscription provisioner (lambdas/subscription-provisioner). */
export const SUBSCRIPTION_PROVISIONER_CONTRACT = {
  ...AWS_RUNTIME_ENV,
  connectorId: metricDimensionConnectorId,
  dynamodbEndpoint: endpointVar('dynamodb'),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB state table.'),
} as const;
