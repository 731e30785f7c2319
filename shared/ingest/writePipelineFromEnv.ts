import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../config/constants.js';
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from '../config/env.js';
import { ActiveSubscriptionCache } from '../subscriptions/ActiveSubscriptionCache.js';
import { DynamoSubscriptionStore } from '../subscriptions/DynamoSubscriptionStore.js';
import { parseAllowedEndpoints } from '../subscriptions/endpoints.js';
import type { SubscriptionLogger } from '../subscriptions/types.js';
import { DynamoVersionLedger } from '../versions/DynamoVersionLedger.js';
import { INGEST_ENV } from './constants.js';
import { DefaultWritePipeline } from './DefaultWritePipeline.js';
import { SqsDeliveryQueue } from './SqsDeliveryQueue.js';

/** The write path as both the ingest Lambda and the backfill worker build it from their environment. */
export interface WritePipelineFromEnv {
  readonly pipeline: DefaultWritePipeline;
  readonly subscriptions: DynamoSubscriptionStore;
  readonly cache: ActiveSubscriptionCache;
  readonly allowedEndpoints: readonly string[];
  readonly tableName: string;
  readonly document: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}

/**
 * Builds the WritePipeline (DynamoDB ledger, subscription cache, SQS FIFO queue with S3 offload)
 * from ENV names, so ingested and backfilled writes are recorded, matched and enqueued alike.
 * AWS endpoints follow the SDK's own AWS_ENDPOINT_URL_* variables.
 */
export const writePipelineFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  options: { logger?: SubscriptionLogger } = {},
): WritePipelineFromEnv => {
  const tableName = requireEnv(ENV.stateTable, env);
  const queueUrl = requireEnv(ENV.deliveryQueueUrl, env);
  const allowedEndpoints = parseAllowedEndpoints(requireEnv(ENV.allowedEndpoints, env));
  const sse = optionalEnv(INGEST_ENV.payloadEncryption, 'aws:kms', env);
  if (sse !== 'aws:kms' && sse !== 'AES256') {
    throw new ConfigurationError(`${INGEST_ENV.payloadEncryption} must be aws:kms or AES256, got "${sse}"`);
  }
  const kmsKeyId = env[INGEST_ENV.payloadKmsKeyId];
  const bucket = env[ENV.payloadBucket];

  const document = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Send to the configured (or regional) SQS endpoint, not the queue URL's host: with
  // AWS_ENDPOINT_URL_SQS pointing at a stand-in, its queue URLs name hosts that do not resolve.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const queue = new SqsDeliveryQueue({
    sqs,
    queueUrl,
    // Path-style only against an S3 stand-in (its virtual-host names do not resolve).
    ...(bucket ? { s3: new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }), bucket } : {}),
    serverSideEncryption: sse,
    ...(kmsKeyId ? { kmsKeyId } : {}),
  });
  const subscriptions = new DynamoSubscriptionStore({ client: document, tableName });
  const cache = new ActiveSubscriptionCache({
    store: subscriptions,
    allowedEndpoints,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(env[ENV.deliveryRetryCount]
      ? { defaultDeliveryRetryCount: intEnv(ENV.deliveryRetryCount, 0, { min: 0, max: 999 }, env) }
      : {}),
  });
  const pipeline = new DefaultWritePipeline({
    ledger: new DynamoVersionLedger({ client: document, tableName }),
    matcher: cache,
    queue,
  });
  return { pipeline, subscriptions, cache, allowedEndpoints, tableName, document, sqs };
};
