/**
 * Reconcile worker: one SQS record = the plan or one page of a reconcile job
 * (shared/reconcile/createReconcileProcessor). Failed records are reported individually so SQS
 * redelivers only them; a page then resumes where it stopped.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSourceReaderFromEnv } from '../../shared/backfill/source/createSourceReaderFromEnv.js';
import { SqsWorkQueue } from '../../shared/backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../../shared/backfill/subscriptionLookup.js';
import { ENV } from '../../shared/config/constants.js';
import { optionalEnv, requireEnv } from '../../shared/config/env.js';
import { compileCriteria } from '../../shared/criteria/index.js';
import { METRICS_NAMESPACE } from '../../shared/delivery/constants.js';
import { DynamoDeliveredVersions } from '../../shared/delivery/DynamoDeliveredVersions.js';
import { CredentialCache } from '../../shared/healthlake/CredentialCache.js';
import { createHealthLakeReader } from '../../shared/healthlake/createHealthLakeReader.js';
import { INGEST_ENV } from '../../shared/ingest/constants.js';
import { writePipelineFromEnv } from '../../shared/ingest/writePipelineFromEnv.js';
import { RECONCILE_ENV } from '../../shared/reconcile/constants.js';
import type { ReconcileWorkerDeps } from '../../shared/reconcile/createReconcileProcessor.js';
import { createReconcileProcessor } from '../../shared/reconcile/createReconcileProcessor.js';
import { DynamoReconcileJobStore } from '../../shared/reconcile/DynamoReconcileJobStore.js';
import { S3IdListSink } from '../../shared/reconcile/IdListSink.js';
import { parseReconcileMessage } from '../../shared/reconcile/parseReconcileMessage.js';
import { reconcileSettingsFromEnv } from '../../shared/reconcile/reconcileSettingsFromEnv.js';
import type { ReconcileMessage } from '../../shared/reconcile/types.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';

export const RECONCILE_METRICS = {
  compared: 'ReconcileCompared',
  jobsFailed: 'ReconcileJobsFailed',
} as const;

export interface ReconcileWorkerHandlerDeps extends Omit<ReconcileWorkerDeps, 'logger'> {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type ReconcileWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the SQS handler from its dependencies (tests pass stand-in clients).
 *
 * @example
 * export const handler = createReconcileWorkerHandler(reconcileWorkerDepsFromEnv());
 */
export const createReconcileWorkerHandler = (deps: ReconcileWorkerHandlerDeps): ReconcileWorkerHandler => {
  const { logger, metrics } = deps;
  const processMessage = createReconcileProcessor({ ...deps, logger });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = parseReconcileMessage(record.body);
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1;
    const outcome = await processMessage(message, { receiveCount });
    metrics.addMetric(RECONCILE_METRICS.compared, MetricUnit.Count, outcome.compared);
    if (outcome.outcome === 'failed') metrics.addMetric(RECONCILE_METRICS.jobsFailed, MetricUnit.Count, 1);
    if (outcome.jobCompleted) logger.info('Reconcile job completed', { jobId: message.jobId });
  };
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (ReportBatchItemFailures)
  const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  return middy(base)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics)) as unknown as ReconcileWorkerHandler;
};

/**
 * The worker's dependencies from its environment: the write pipeline as ingest builds it, the
 * source reader as backfill builds it (with RECONCILE_SOURCE_REQUESTS_PER_SECOND), HealthLake read
 * with the customer role (HEALTHLAKE_ROLE_ARN / HEALTHLAKE_EXTERNAL_ID, same-account without) at
 * RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND, id lists in PAYLOAD_BUCKET_NAME (PAYLOAD_KMS_KEY_ID).
 */
export const reconcileWorkerDepsFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
): ReconcileWorkerHandlerDeps => {
  const logger = new Logger({ serviceName: 'reconcile-worker' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'reconcile-worker' });
  const settings = reconcileSettingsFromEnv(env);
  const { pipeline, subscriptions, tableName, document, sqs } = writePipelineFromEnv(env, { logger });
  const roleArn = optionalEnv(ENV.healthLakeRoleArn, '', env);
  const externalId = optionalEnv(ENV.healthLakeExternalId, '', env);
  const region = optionalEnv(ENV.healthLakeRegion, '', env);
  const role = roleArn ? { roleArn, ...(externalId ? { externalId } : {}) } : undefined;
  const credentials = new CredentialCache({
    sts: new STSClient({}),
    connectorId: requireEnv(ENV.connectorId, env),
  });
  const bucket = optionalEnv(ENV.payloadBucket, '', env);
  const kmsKeyId = optionalEnv(INGEST_ENV.payloadKmsKeyId, '', env);
  return {
    jobs: new DynamoReconcileJobStore({ client: document, tableName }),
    subscriptions: subscriptionLookup(subscriptions),
    queue: new SqsWorkQueue<ReconcileMessage>({
      client: sqs,
      queueUrl: requireEnv(RECONCILE_ENV.queueUrl, env),
    }),
    source: () =>
      createSourceReaderFromEnv(
        {
          getSecret: async (id) => {
            const value = await getSecret(id, { maxAge: 300 });
            if (typeof value !== 'string') throw new Error('Source FHIR secret is not a string');
            return value;
          },
          credentials: sqs.config.credentials,
        },
        { ...env, [ENV.sourceFhirRequestsPerSecond]: String(settings.sourceRequestsPerSecond) },
      ),
    healthLake: (endpoint) =>
      createHealthLakeReader({
        endpoint,
        credentials: credentials.providerFor(role),
        ...(region ? { region } : {}),
        requestsPerSecond: settings.healthLakeRequestsPerSecond,
      }),
    ledger: new DynamoVersionLedger({ client: document, tableName }),
    delivered: new DynamoDeliveredVersions(document, tableName),
    pipeline,
    compileCriteria,
    ...(bucket
      ? {
          idLists: new S3IdListSink({
            s3: new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }),
            bucket,
            ...(kmsKeyId ? { kmsKeyId } : {}),
          }),
        }
      : {}),
    pageSize: settings.pageSize,
    logger,
    metrics,
  };
};

let cached: ReconcileWorkerHandler | undefined;
/** Lambda entry point; configuration is read on first invocation so importing stays side-effect free. */
export const handler: ReconcileWorkerHandler = async (event, context) => {
  cached ??= createReconcileWorkerHandler(reconcileWorkerDepsFromEnv());
  return cached(event, context);
};
