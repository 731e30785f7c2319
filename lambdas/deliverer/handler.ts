import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { delivererConfigFromEnv } from '../../shared/delivery/config.js';
import { DynamoDeliveredVersions } from '../../shared/delivery/DynamoDeliveredVersions.js';
import { lazyS3Client } from '../../shared/delivery/lazyS3Client.js';
import { CredentialCache } from '../../shared/healthlake/CredentialCache.js';
import { HealthLakeClientPool } from '../../shared/healthlake/HealthLakeClientPool.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import { createDelivererHandler } from './createDelivererHandler.js';

// Read once per Lambda instance; a missing variable fails the cold start with its name.
const config = delivererConfigFromEnv();
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const credentials = new CredentialCache({ sts: new STSClient({}), connectorId: config.connectorId });
const healthLake = new HealthLakeClientPool({
  credentials: credentials.providerFor(config.role),
  ...(config.region ? { region: config.region } : {}),
  connectTimeoutMs: config.connectTimeoutMs,
  responseTimeoutMs: config.responseTimeoutMs,
  maxSockets: config.maxSockets,
});

/** Lambda entry point (SQS event source mapping with ReportBatchItemFailures). */
export const handler = createDelivererHandler({
  sqs: new SQSClient({}),
  s3: lazyS3Client(),
  ledger: new DynamoVersionLedger({ client: documents, tableName: config.stateTable }),
  delivered: new DynamoDeliveredVersions(documents, config.stateTable),
  healthLake: (endpoint) => healthLake.get(endpoint),
  credentialsRejected: () => credentials.invalidate(config.role),
  now: Date.now,
  config: config.batch,
});
