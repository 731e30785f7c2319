import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3Client } from '@aws-sdk/client-s3';
import { cachedSecretReader } from '../../shared/fhirClient/cachedSecretReader.js';
import { createSourceReaderFromEnv } from '../../shared/runtime/createSourceReaderFromEnv.js';
import { SqsWorkQueue } from '../../shared/backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../../shared/backfill/subscriptionLookup.js';
import { ENV } from '../../shared/config/constants.js';
import { awsClientConfig, s3ClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { RECONCILE_WORKER_CONTRACT } from '../../shared/runtime/reconcileWorkerContract.js';
import { RECONCILE_SOURCE_ENV, sourceFhirRules } from '../../shared/runtime/sourceFhirEnv.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { criteriaCompiler } from '../../shared/criteria/index.js';
import { DynamoDeliveredVersionsEraser } from '../../shared/versions/DynamoDeliveredVersionsEraser.js';
import { ownCredentials, roleCredentials } from '../../shared/healthlake/credentials.js';
import { createHealthLakeReader } from '../../shared/healthlake/createHealthLakeReader.js';
import { writePipelineFromEnv } from '../../shared/runtime/writePipelineFromEnv.js';
import { DynamoReconcileJobStore } from '../../shared/reconcile/DynamoReconcileJobStore.js';
import { S3IdListSink } from '../../shared/reconcile/IdListSink.js';
import type { ReconcileMessage } from '../../shared/reconcile/types.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import { createReconcileWorkerHandler, type ReconcileWorkerHandler } from './createReconcileWorkerHandler.js';

/**
 * The reconcile worker handler from its environment (`RECONCILE_WORKER_CONTRACT`): the write pipeline
 * as ingest builds it, the source reader as backfill builds it (at RECONCILE_SOURCE_REQUESTS_PER_SECOND),
 * HealthLake read with the customer role (HEALTHLAKE_ROLE_ARN / HEALTHLAKE_EXTERNAL_ID, same account
 * without) at RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND, id lists in PAYLOAD_BUCKET_NAME. SDK clients
 * take region, endpoint and credentials from `env`, so local mode builds it exactly as Lambda does.
 *
 * @example
 * const handler = reconcileWorkerHandlerFromEnv(process.env);
 */
export const reconcileWorkerHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<ReconcileWorkerHandler> => {
  const values = readEnv<typeof RECONCILE_WORKER_CONTRACT>(
    RECONCILE_WORKER_CONTRACT,
    env,
    'reconcile worker',
    sourceFhirRules,
  );
  const logger = sinks.logger ?? loggerFromEnv('reconcile-worker', env);
  const metrics = sinks.metrics ?? metricsFromEnv('reconcile-worker', env);
  const write = writePipelineFromEnv(values, { logger, sourceEvaluation: true });
  const { document, tableName, sqs } = write;
  const secretsClient = new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint));
  const getSecret = cachedSecretReader(secretsClient);
  const s3 = values.payloadBucket ? new S3Client(s3ClientConfig(values)) : undefined;
  // HealthLake reads with the customer role (or the function's own credentials), as the deliverer signs.
  const sts = awsClientConfig(values, values.stsEndpoint);
  const credentials = values.healthLakeRoleArn
    ? roleCredentials({
        role: {
          roleArn: values.healthLakeRoleArn,
          ...(values.healthLakeExternalId ? { externalId: values.healthLakeExternalId } : {}),
        },
        connectorId: values.connectorId,
        durationSeconds: values.healthLakeSessionDurationSeconds,
        sts,
      })
    : ownCredentials(sts.credentials);
  // The source variables as backfill reads them, at reconcile's own request rate (pages carry `_count`).
  const sourceEnv: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.values(RECONCILE_SOURCE_ENV).map((spec) => [spec.name, env[spec.name]])),
    [ENV.sourceFhirRequestsPerSecond]: String(values.reconcileSourceRequestsPerSecond),
  };
  const handler = createReconcileWorkerHandler({
    jobs: new DynamoReconcileJobStore({ client: document, tableName }),
    subscriptions: subscriptionLookup(write.subscriptions),
    queue: new SqsWorkQueue<ReconcileMessage>({ client: sqs, queueUrl: values.reconcileQueueUrl }),
    source: () =>
      createSourceReaderFromEnv(
        {
          getSecret,
          credentials: sqs.config.credentials,
        },
        sourceEnv,
      ),
    healthLake: (endpoint) =>
      createHealthLakeReader({
        endpoint,
        credentials: credentials.provider,
        ...(values.healthLakeRegion ? { region: values.healthLakeRegion } : {}),
        requestsPerSecond: values.healthLakeRequestsPerSecond,
        // HealthLake's answers get the same cap as the source's (sourceFhir.maxResponseBytes).
        maxResponseBytes: values.sourceMaxResponseBytes,
      }),
    ledger: new DynamoVersionLedger({ client: document, tableName }),
    delivered: new DynamoDeliveredVersionsEraser(document, tableName),
    pipeline: write.pipeline,
    compileCriteria: criteriaCompiler({ sourceEvaluation: true }),
    ...(s3 && values.payloadBucket
      ? {
          idLists: new S3IdListSink({
            s3,
            bucket: values.payloadBucket,
            ...(values.payloadKmsKeyId ? { kmsKeyId: values.payloadKmsKeyId } : {}),
          }),
        }
      : {}),
    pageSize: values.pageSize,
    maxReceives: values.reconcileMaxReceives,
    logger,
    metrics,
  });
  return Object.assign((...args: Parameters<ReconcileWorkerHandler>) => handler(...args), {
    destroy: () => {
      write.destroy();
      for (const client of [secretsClient, ...(s3 ? [s3] : [])]) client.destroy();
    },
  });
};
