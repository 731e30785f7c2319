import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, s3ClientConfig } from '../config/awsEnv.js';
import { type EnvValues } from '../config/envVar.js';
import { type WRITE_PIPELINE_ENV } from './writePipelineEnv.js';
import { ActiveSubscriptionCache } from '../subscriptions/ActiveSubscriptionCache.js';
import { DynamoSubscriptionStore } from '../subscriptions/DynamoSubscriptionStore.js';
import type { SubscriptionLogger } from '../subscriptions/types.js';
import { DynamoVersionLedger } from '../versions/DynamoVersionLedger.js';
import { DefaultWritePipeline } from '../ingest/DefaultWritePipeline.js';
import type { TroubleshootingLogger } from '../ingest/IngestLogger.js';
import { SqsDeliveryQueue } from '../ingest/SqsDeliveryQueue.js';

/** The write path as both the ingest Lambda and the backfill worker build it from their environment. */
export interface WritePipelineFromEnv {
  readonly pipeline: DefaultWritePipeline;
  readonly subscriptions: DynamoSubscriptionStore;
  readonly cache: ActiveSubscriptionCache;
  readonly allowedEndpoints: readonly string[];
  readonly tableName: string;
  readonly document: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** Closes the SDK clients' sockets (local mode's shutdown; a Lambda never calls it). */
  destroy(): void;
}

/**
 * Builds the WritePipeline (DynamoDB ledger, subscription cache, SQS FIFO queue with S3 offload)
 * from the read `WRITE_PIPELINE_ENV` values, so ingested and backfilled writes are recorded, matched
 * and enqueued alike. SDK clients take region, endpoint and credentials from those values.
 */
export const writePipelineFromEnv = (
  values: EnvValues<typeof WRITE_PIPELINE_ENV>,
  options: {
    logger?: SubscriptionLogger;
    /** The function has a source server: criteria only it can evaluate are matched (and confirmed there). */
    sourceEvaluation?: boolean;
    /** The troubleshooting log (at `debug`): each write's matched and unmatched Subscriptions. */
    troubleshooting?: TroubleshootingLogger;
    /** Ingest's INGEST_MAX_VERSION_JUMP (the pipeline's default elsewhere: only ingest writes are held to it). */
    maxVersionJump?: number;
  } = {},
): WritePipelineFromEnv => {
  const tableName = values.stateTable;
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  const document = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  // Send to the configured (or regional) SQS endpoint, not the queue URL's host: with
  // AWS_ENDPOINT_URL_SQS pointing at a stand-in, its queue URLs name hosts that do not resolve.
  const sqs = new SQSClient({ ...awsClientConfig(values, values.sqsEndpoint), useQueueUrlAsEndpoint: false });
  const s3 = values.payloadBucket ? new S3Client(s3ClientConfig(values)) : undefined;
  const queue = new SqsDeliveryQueue({
    sqs,
    queueUrl: values.deliveryQueueUrl,
    ...(s3 && values.payloadBucket ? { s3, bucket: values.payloadBucket } : {}),
    serverSideEncryption: values.payloadEncryption,
    ...(values.payloadKmsKeyId ? { kmsKeyId: values.payloadKmsKeyId } : {}),
  });
  const subscriptions = new DynamoSubscriptionStore({ client: document, tableName });
  const cache = new ActiveSubscriptionCache({
    store: subscriptions,
    allowedEndpoints: values.allowedEndpoints,
    sourceEvaluation: options.sourceEvaluation === true,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(values.deliveryRetryCount === undefined
      ? {}
      : { defaultDeliveryRetryCount: values.deliveryRetryCount }),
  });
  const pipeline = new DefaultWritePipeline({
    ledger: new DynamoVersionLedger({ client: document, tableName }),
    matcher: cache,
    queue,
    ...(options.troubleshooting ? { troubleshooting: options.troubleshooting } : {}),
    ...(options.maxVersionJump === undefined ? {} : { maxVersionJump: options.maxVersionJump }),
  });
  return {
    pipeline,
    subscriptions,
    cache,
    allowedEndpoints: values.allowedEndpoints,
    tableName,
    document,
    sqs,
    destroy: () => {
      sqs.destroy();
      s3?.destroy();
      dynamo.destroy();
    },
  };
};
