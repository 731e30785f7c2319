import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { delivererConfigFromEnv } from '../../shared/delivery/config.js';
import { DynamoDeliveredVersions } from '../../shared/delivery/DynamoDeliveredVersions.js';
import { ownCredentials, roleCredentials } from '../../shared/healthlake/credentials.js';
import { HealthLakeClientPool } from '../../shared/healthlake/HealthLakeClientPool.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import { createDelivererHandler } from './createDelivererHandler.js';

// Read once per Lambda instance; a missing variable fails the cold start with its name.
const config = delivererConfigFromEnv();
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const credentials = config.role
  ? roleCredentials({
      role: config.role,
      connectorId: config.connectorId,
      durationSeconds: config.sessionDurationSeconds,
    })
  : ownCredentials();
const healthLake = new HealthLakeClientPool({
  credentials: credentials.provider,
  ...(config.region ? { region: config.region } : {}),
  connectTimeoutMs: config.connectTimeoutMs,
  responseTimeoutMs: config.responseTimeoutMs,
  maxSockets: config.maxSockets,
});

/** Lambda entry point (SQS event source mapping with ReportBatchItemFailures). */
export const handler = createDelivererHandler({
  sqs: new SQSClient({}),
  s3: new S3Client({}),
  ledger: new DynamoVersionLedger({ client: documents, tableName: config.stateTable }),
  delivered: new DynamoDeliveredVersions(documents, config.stateTable),
  healthLake: (endpoint) => healthLake.get(endpoint),
  credentialsRejected: () => credentials.refresh(),
  now: Date.now,
  config: config.batch,
});
