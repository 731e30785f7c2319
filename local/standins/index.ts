export {
  TEST_CREDENTIALS,
  TEST_REGION,
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
} from './aws.js';
export type { AwsStandins, ConnectorEndpoints, ConnectorResourceNames, ConnectorResources } from './aws.js';
export * from './healthlake/index.js';
