import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  awsClientConfig,
  DELIVERER_CONTRACT,
  readEnv,
  s3ClientConfig,
} from '../../shared/config/envContract.js';
import type { Destroyable, RuntimeSinks } from '../../shared/config/runtimeSinks.js';
import { delivererConfigOf } from '../../shared/delivery/config.js';
import { DynamoDeliveredVersions } from '../../shared/delivery/DynamoDeliveredVersions.js';
import { CredentialCache, fromProcessEnv } from '../../shared/healthlake/CredentialCache.js';
import { HealthLakeClientPool } from '../../shared/healthlake/HealthLakeClientPool.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import { createDelivererHandler, type DelivererHandler } from './createDelivererHandler.js';

/**
 * The deliverer Lambda handler from its environment (`DELIVERER_CONTRACT`): SDK clients, the STS
 * credential cache and the HealthLake client pool, all configured from `env` (region, endpoints,
 * credentials), so local mode builds it exactly as Lambda does. Every problem is reported at once.
 *
 * @example
 * export const handler = delivererHandlerFromEnv(process.env);
 */
export const delivererHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<DelivererHandler> => {
  const values = readEnv(DELIVERER_CONTRACT, env, 'deliverer');
  const config = delivererConfigOf(values);
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  const documents = DynamoDBDocumentClient.from(dynamo);
  const sts = new STSClient(awsClientConfig(values, values.stsEndpoint));
  const sqs = new SQSClient(awsClientConfig(values, values.sqsEndpoint));
  const s3 = new S3Client(s3ClientConfig(values));
  const credentials = new CredentialCache({
    sts,
    connectorId: config.connectorId,
    ownCredentials: fromProcessEnv(env),
  });
  const healthLake = new HealthLakeClientPool({
    credentials: credentials.providerFor(config.role),
    ...(config.region ? { region: config.region } : {}),
    connectTimeoutMs: config.connectTimeoutMs,
    responseTimeoutMs: config.responseTimeoutMs,
    maxSockets: config.maxSockets,
  });
  const handler = createDelivererHandler({
    sqs,
    s3,
    ledger: new DynamoVersionLedger({ client: documents, tableName: config.stateTable }),
    delivered: new DynamoDeliveredVersions(documents, config.stateTable),
    healthLake: (endpoint) => healthLake.get(endpoint),
    credentialsRejected: () => credentials.invalidate(config.role),
    now: Date.now,
    config: config.batch,
    ...sinks,
  });
  return Object.assign((...args: Parameters<DelivererHandler>) => handler(...args), {
    destroy: () => {
      healthLake.destroy();
      for (const client of [sqs, s3, sts, dynamo]) client.destroy();
    },
  });
};
