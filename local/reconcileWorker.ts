import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createReconcileWorkerHandler } from '../lambdas/reconcile-worker/handler.js';
import { SourceFhirClient } from '../shared/backfill/source/SourceFhirClient.js';
import { SqsWorkQueue } from '../shared/backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../shared/backfill/subscriptionLookup.js';
import { compileCriteria } from '../shared/criteria/index.js';
import { METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { DynamoDeliveredVersions } from '../shared/delivery/DynamoDeliveredVersions.js';
import type { CredentialProvider } from '../shared/healthlake/CredentialCache.js';
import { createHealthLakeReader } from '../shared/healthlake/createHealthLakeReader.js';
import type { WritePipeline } from '../shared/ingest/types.js';
import type { ReconcileRouteDeps } from '../shared/reconcile/handleReconcileRequest.js';
import { S3IdListSink } from '../shared/reconcile/IdListSink.js';
import { DynamoReconcileJobStore } from '../shared/reconcile/DynamoReconcileJobStore.js';
import { reconcileSettingsFromEnv } from '../shared/reconcile/reconcileSettingsFromEnv.js';
import type { ReconcileMessage } from '../shared/reconcile/types.js';
import type { SubscriptionStore } from '../shared/subscriptions/SubscriptionStore.js';
import type { VersionLedger } from '../shared/versions/VersionLedger.js';
import { EventSourceMapping } from './eventSourceMapping.js';
import type { LocalLogger } from './localLogger.js';
import { CountingMetrics, LocalPowertoolsLogger } from './powertoolsLocal.js';

/**
 * Local mode's reconcile worker: the Lambda's `createReconcileWorkerHandler` over the local clients,
 * behind its own poller, with the rate limits and page size read from the same RECONCILE_*
 * environment variables as the Lambda. Also returns the route dependencies of `$reconcile`.
 */
export const startLocalReconcile = (deps: {
  readonly env: NodeJS.ProcessEnv;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly payloadBucket: string;
  readonly sourceFhirBaseUrl: string | undefined;
  readonly credentials: CredentialProvider;
  readonly region: string;
  readonly subscriptionStore: SubscriptionStore;
  readonly ledger: VersionLedger;
  readonly pipeline: WritePipeline;
  readonly logger: LocalLogger;
}): {
  mapping: EventSourceMapping;
  routes: Omit<ReconcileRouteDeps, 'logger' | 'subscriptions' | 'compileCriteria'>;
} => {
  const settings = reconcileSettingsFromEnv(deps.env);
  const jobs = new DynamoReconcileJobStore({ client: deps.documents, tableName: deps.tableName });
  const queue = new SqsWorkQueue<ReconcileMessage>({ client: deps.sqs, queueUrl: deps.queueUrl });
  const idLists = new S3IdListSink({ s3: deps.s3, bucket: deps.payloadBucket });
  const handler = createReconcileWorkerHandler({
    jobs,
    subscriptions: subscriptionLookup(deps.subscriptionStore),
    queue,
    source: new SourceFhirClient({
      baseUrl: deps.sourceFhirBaseUrl ?? 'http://127.0.0.1:9/unconfigured/',
      requestsPerSecond: settings.sourceRequestsPerSecond,
    }),
    healthLake: (endpoint) =>
      createHealthLakeReader({
        endpoint,
        credentials: deps.credentials,
        region: deps.region,
        requestsPerSecond: settings.healthLakeRequestsPerSecond,
      }),
    ledger: deps.ledger,
    delivered: new DynamoDeliveredVersions(deps.documents, deps.tableName),
    pipeline: deps.pipeline,
    compileCriteria,
    idLists,
    pageSize: settings.pageSize,
    logger: new LocalPowertoolsLogger(deps.logger, { serviceName: 'reconcile' }),
    metrics: new CountingMetrics({ namespace: METRICS_NAMESPACE, serviceName: 'reconcile' }, () => undefined),
  });
  const mapping = new EventSourceMapping({
    sqs: deps.sqs,
    queueUrl: deps.queueUrl,
    handler,
    batchSize: 1,
    concurrency: 2,
    functionName: 'healthlake-connector-reconcile-worker',
    onError: (error) => deps.logger.warn('Poller error', { error }),
  });
  return { mapping, routes: { jobs, queue, idListLocation: (jobId) => idLists.location(jobId) } };
};
