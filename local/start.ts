/**
 * Local mode (`npm start`): the whole connector on one machine, with the same handler code as in
 * Lambda, real wire protocols and embedded stand-ins (fauxqs, dynalite, HealthLake + STS, a source
 * FHIR server). `startConnector(options)` does the same in-process for tests and benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { createBackfillWorkerHandler } from '../lambdas/backfill-worker/handler.js';
import { createDelivererHandler } from '../lambdas/deliverer/createDelivererHandler.js';
import { DynamoJobStore } from '../shared/backfill/DynamoJobStore.js';
import { SourceFhirClient } from '../shared/backfill/source/SourceFhirClient.js';
import { SqsWorkQueue } from '../shared/backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../shared/backfill/subscriptionLookup.js';
import { compileCriteria } from '../shared/criteria/index.js';
import { DELIVERY_METRICS, METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { DynamoDeliveredVersions } from '../shared/delivery/DynamoDeliveredVersions.js';
import { CredentialCache } from '../shared/healthlake/CredentialCache.js';
import { HealthLakeClientPool } from '../shared/healthlake/HealthLakeClientPool.js';
import { DefaultWritePipeline } from '../shared/ingest/DefaultWritePipeline.js';
import { SqsDeliveryQueue } from '../shared/ingest/SqsDeliveryQueue.js';
import type { LocalConfigView } from '../shared/operator/localAdmin.js';
import { ActiveSubscriptionCache } from '../shared/subscriptions/ActiveSubscriptionCache.js';
import { DynamoSubscriptionStore } from '../shared/subscriptions/DynamoSubscriptionStore.js';
import { ensureAutoManagedSubscription } from '../shared/subscriptions/ensureAutoManagedSubscription.js';
import { normalizeEndpoint } from '../shared/subscriptions/endpoints.js';
import { revalidateSubscriptions } from '../shared/subscriptions/revalidateSubscriptions.js';
import { DynamoVersionLedger } from '../shared/versions/DynamoVersionLedger.js';
import { loadLocalConfig, LocalConfigError, localUsage, type LocalConfig } from './config.js';
import { EventSourceMapping } from './eventSourceMapping.js';
import { createLocalLogger, type LocalLogger } from './localLogger.js';
import { LocalStats } from './LocalStats.js';
import { CountingMetrics, LocalPowertoolsLogger } from './powertoolsLocal.js';
import { startProgress, type Progress } from './progress.js';
import {
  clientConfig,
  createConnectorResources,
  startAwsStandins,
  TEST_CREDENTIALS,
  type AwsStandins,
  type ConnectorResources,
} from './standins/aws.js';
import {
  seedFromFolder,
  startFhirSourceStandin,
  startHealthLakeStandin,
  type FhirStandin,
} from './standins/healthlake/index.js';
import { startIngestApi } from './ingestApi.js';
import { startLocalReconcile } from './reconcileWorker.js';

/** Options of `startConnector`: any LocalConfig field, plus where flags/env come from. */
export interface StartConnectorOptions extends Partial<Omit<LocalConfig, 'faults'>> {
  readonly faults?: Partial<LocalConfig['faults']>;
  /** Command-line flags to read (default none). */
  readonly argv?: readonly string[];
  /** Environment to read HLC_* variables from (default: none, so tests are not affected by the shell). */
  readonly env?: NodeJS.ProcessEnv;
  /** Delivery retry backoff, seconds (Lambda default base 2, max 300; local default 1 and 20). */
  readonly retryBaseSeconds?: number;
  readonly retryMaxSeconds?: number;
  /** HealthLake response timeout, ms (default 10 000; tests with timeout faults use less). */
  readonly healthLakeTimeoutMs?: number;
  /** Where log lines go (default stderr). */
  readonly logWrite?: (line: string) => void;
}

/** A running local connector. */
export interface LocalConnector {
  readonly config: LocalConfig;
  /** FHIR base URL of the ingest API. */
  readonly apiUrl: string;
  /** The development bearer token (its sha256 is what the ingest API accepts). */
  readonly token: string;
  /** The HealthLake endpoint the auto-managed subscription targets. */
  readonly healthLakeEndpoint: string;
  /** The HealthLake + STS stand-in, unless a real endpoint was configured. */
  readonly healthlake?: FhirStandin;
  /** The source FHIR server stand-in, when started. */
  readonly source?: FhirStandin;
  readonly sourceFhirBaseUrl?: string;
  readonly aws?: AwsStandins;
  readonly resources: ConnectorResources;
  readonly sqsEndpoint?: string;
  /** An SQS client for the connector's queues (tests, the CLI functions). */
  readonly sqs: SQSClient;
  readonly autoSubscriptionId?: string;
  readonly stats: LocalStats;
  readonly delivery: EventSourceMapping;
  readonly backfill: EventSourceMapping;
  readonly reconcile: EventSourceMapping;
  /** What `/_local/config` serves. */
  readonly view: LocalConfigView;
  /** Milliseconds from the call to ready. */
  readonly readyMs: number;
  readonly logger: LocalLogger;
  /** Lets log lines move the live progress line out of the way. */
  attachProgress(progress: Progress): void;
  stop(): Promise<void>;
}

/**
 * Starts the complete connector locally and resolves when it is ready to accept writes.
 *
 * @example
 * const connector = await startConnector({ apiPort: 0, unsupportedTypes: ['Goal'] });
 * await fetch(`${connector.apiUrl}/Patient/1`, { method: 'PUT', headers: { authorization: `Bearer ${connector.token}` }, body });
 * await connector.stop();
 */
export const startConnector = async (options: StartConnectorOptions = {}): Promise<LocalConnector> => {
  const started = Date.now();
  const {
    argv,
    env,
    retryBaseSeconds,
    retryMaxSeconds,
    healthLakeTimeoutMs,
    logWrite,
    faults,
    ...overrides
  } = options;
  const base = loadLocalConfig(argv ?? [], env ?? {});
  const config: LocalConfig = { ...base, ...overrides, faults: { ...base.faults, ...faults } };
  const stats = new LocalStats();
  const hooks: { beforeLog?: () => void } = {};
  const logger = createLocalLogger({
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    beforeWrite: () => hooks.beforeLog?.(),
    ...(logWrite ? { write: logWrite } : {}),
  });
  const log = logger.child('local');
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('Shutdown step failed', { error });
      }
    }
  };

  let healthlakeStarting: Promise<FhirStandin | undefined> = Promise.resolve(undefined);
  try {
    // The HealthLake stand-in loads the FHIR definitions (the slowest step): start it first, in parallel.
    healthlakeStarting = config.healthLakeEndpoint
      ? Promise.resolve(undefined)
      : startHealthLakeStandin({
          host: config.host,
          port: config.healthLakePort,
          region: config.region,
          roleArn: config.roleArn,
          externalId: config.externalId || null,
          notSupportedTypes: config.unsupportedTypes,
          faults: { ...config.faults },
        });
    healthlakeStarting.then(
      (standin) => standin && cleanups.push(() => standin.stop()),
      () => undefined,
    );
    // 1. SQS/S3 and DynamoDB: the stand-ins unless every endpoint points elsewhere.
    const needAws = !config.sqsEndpoint || !config.s3Endpoint || !config.dynamoEndpoint;
    const aws = needAws ? await startAwsStandins({ host: config.host }) : undefined;
    if (aws) cleanups.push(() => aws.stop());
    const endpoints = {
      sqsEndpoint: config.sqsEndpoint ?? aws?.sqsEndpoint,
      s3Endpoint: config.s3Endpoint ?? aws?.s3Endpoint,
      dynamoEndpoint: config.dynamoEndpoint ?? aws?.dynamoEndpoint,
    };
    const isStandin = (endpoint: string) => endpoint === aws?.sqsEndpoint || endpoint === aws?.dynamoEndpoint;
    const resources = await createConnectorResources({
      endpoints,
      names: { prefix: config.resourcePrefix },
      maxReceiveCount: config.maxReceiveCount,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      region: config.region,
      isStandin,
    });
    const sqs = new SQSClient(clientConfig(endpoints.sqsEndpoint, config.region, isStandin));
    const s3 = new S3Client({
      ...clientConfig(endpoints.s3Endpoint, config.region, isStandin),
      forcePathStyle: true,
    });
    const dynamo = new DynamoDBClient(clientConfig(endpoints.dynamoEndpoint, config.region, isStandin));
    const documents = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true },
    });
    cleanups.push(() => {
      sqs.destroy();
      s3.destroy();
      dynamo.destroy();
    });

    // 2. HealthLake + STS: the stand-in unless a data store URL is configured.
    const healthlake = await healthlakeStarting;
    const healthLakeEndpoint = normalizeEndpoint(config.healthLakeEndpoint ?? healthlake?.endpoint ?? '');
    if (!healthLakeEndpoint) throw new LocalConfigError('--healthlake-endpoint is not an http(s) URL');
    const stsEndpoint = config.stsEndpoint ?? healthlake?.stsEndpoint;
    const sts = new STSClient({
      region: config.region,
      ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
      ...(healthlake && stsEndpoint === healthlake.stsEndpoint
        ? {
            credentials: {
              accessKeyId: healthlake.baseCredentials.accessKeyId,
              secretAccessKey: healthlake.baseCredentials.secretAccessKey,
            },
          }
        : {}),
    });
    cleanups.push(() => sts.destroy());

    // 3. Source FHIR server for backfill: configured, or the stand-in (optionally seeded).
    const source =
      !config.sourceFhirBaseUrl && config.sourceStandin
        ? await startFhirSourceStandin({ host: config.host, port: config.sourcePort })
        : undefined;
    if (source) cleanups.push(() => source.stop());
    if (source && config.sourceSeedDir) {
      const seeded = await seedFromFolder(source.store, config.sourceSeedDir);
      log.info('Source stand-in seeded', { folder: config.sourceSeedDir, ...seeded });
    }
    const sourceFhirBaseUrl = config.sourceFhirBaseUrl ?? source?.endpoint;
    if (!sourceFhirBaseUrl) log.warn('No source FHIR server: $trigger-subscription jobs will fail to read');

    // 4. The connector's state: the same classes as the Lambdas use.
    const tableName = resources.stateTable;
    const allowedEndpoints = [healthLakeEndpoint];
    const subscriptionStore = new DynamoSubscriptionStore({ client: documents, tableName });
    const subscriptionLogger = logger.child('subs');
    const subscriptionCache = new ActiveSubscriptionCache({
      store: subscriptionStore,
      allowedEndpoints,
      defaultDeliveryRetryCount: config.deliveryRetryCount,
      logger: subscriptionLogger,
    });
    const ledger = new DynamoVersionLedger({ client: documents, tableName });
    const pipeline = new DefaultWritePipeline({
      ledger,
      matcher: subscriptionCache,
      queue: new SqsDeliveryQueue({
        sqs,
        queueUrl: resources.deliveryQueueUrl,
        s3,
        bucket: resources.payloadBucket,
      }),
    });
    const jobs = new DynamoJobStore({ client: documents, tableName });
    const workQueue = new SqsWorkQueue({ client: sqs, queueUrl: resources.backfillQueueUrl });

    let autoSubscriptionId: string | undefined;
    if (config.autoSubscription) {
      const ensured = await ensureAutoManagedSubscription({
        store: subscriptionStore,
        connectorId: config.connectorId,
        criteria: config.autoSubscriptionCriteria,
        endpoint: healthLakeEndpoint,
        allowedEndpoints,
        retryCount: config.deliveryRetryCount,
      });
      autoSubscriptionId = ensured.id;
    }
    // Subscriptions kept in a persistent table may point at a data store this run does not allow.
    await revalidateSubscriptions({ store: subscriptionStore, allowedEndpoints });

    // 5. The deliverer behind the event source mapping poller.
    const credentials = new CredentialCache({ sts, connectorId: config.connectorId });
    const role = config.roleArn
      ? { roleArn: config.roleArn, ...(config.externalId ? { externalId: config.externalId } : {}) }
      : undefined;
    const healthLakePool = new HealthLakeClientPool({
      credentials: credentials.providerFor(role),
      region: config.region,
      connectTimeoutMs: Math.min(10_000, healthLakeTimeoutMs ?? 10_000),
      responseTimeoutMs: healthLakeTimeoutMs ?? 10_000,
      maxSockets: 50,
    });
    /** The deliverer's metrics (per record or aggregated per batch) feed the local counters. */
    const countDelivery = (name: string, value: number) => {
      if (name === DELIVERY_METRICS.delivered) stats.settledDone('delivered', value);
      else if (name === DELIVERY_METRICS.deleted) stats.settledDone('deleted', value);
      else if (name === DELIVERY_METRICS.droppedNotSupported)
        stats.settledDone('not-supported-dropped', value);
      else if (name === DELIVERY_METRICS.skippedStale) stats.settledDone('stale-skipped', value);
      else if (name === DELIVERY_METRICS.retried) stats.retried += value;
      else if (name === DELIVERY_METRICS.deadLettered) stats.deadLettered += value;
    };
    const delivererLogger = logger.child('deliverer');
    const deliverer = createDelivererHandler({
      sqs,
      s3,
      ledger,
      delivered: new DynamoDeliveredVersions(documents, tableName),
      healthLake: (endpoint) => healthLakePool.get(endpoint),
      credentialsRejected: () => credentials.invalidate(role),
      now: Date.now,
      config: {
        queueUrl: resources.deliveryQueueUrl,
        deadLetterQueueUrl: resources.deliveryDlqUrl,
        defaultMaxAttempts: config.deliveryRetryCount + 1,
        backoff: { baseSeconds: retryBaseSeconds ?? 1, maxSeconds: retryMaxSeconds ?? 20 },
        allowedEndpoints: new Set(allowedEndpoints),
      },
      logger: new LocalPowertoolsLogger(delivererLogger, { serviceName: 'deliverer' }),
      metrics: new CountingMetrics({ namespace: METRICS_NAMESPACE, serviceName: 'deliverer' }, countDelivery),
    });
    const trackedDeliverer = async (event: SQSEvent, context: Context) => {
      for (const record of event.Records) {
        stats.received(record.messageId, Number(record.attributes.SentTimestamp) || Date.now());
      }
      const response = await deliverer(event, context);
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const record of event.Records) if (!failed.has(record.messageId)) stats.finished(record.messageId);
      return response;
    };
    const delivery = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      queueArn: resources.deliveryQueueArn,
      handler: trackedDeliverer,
      batchSize: 10,
      concurrency: config.deliveryConcurrency,
      functionName: 'healthlake-connector-deliverer',
      onError: (error) => delivererLogger.warn('Poller error', { error }),
    });

    // 6. The backfill worker behind its own poller.
    const backfillLogger = logger.child('backfill');
    const backfillWorker = createBackfillWorkerHandler({
      jobs,
      subscriptions: subscriptionLookup(subscriptionStore),
      queue: workQueue,
      source: new SourceFhirClient({ baseUrl: sourceFhirBaseUrl ?? 'http://127.0.0.1:9/unconfigured/' }),
      pipeline,
      compileCriteria,
      logger: new LocalPowertoolsLogger(backfillLogger, { serviceName: 'backfill' }),
      metrics: new CountingMetrics(
        { namespace: METRICS_NAMESPACE, serviceName: 'backfill' },
        () => undefined,
      ),
    });
    const backfill = new EventSourceMapping({
      sqs,
      queueUrl: resources.backfillQueueUrl,
      handler: async (event, context) => {
        const response = await backfillWorker(event, context);
        stats.backfillPages += event.Records.length - response.batchItemFailures.length;
        return response;
      },
      batchSize: 5,
      concurrency: 2,
      functionName: 'healthlake-connector-backfill-worker',
      onError: (error) => backfillLogger.warn('Poller error', { error }),
    });

    // 6b. The reconcile worker (RECONCILE_* variables as in the Lambda).
    const reconcile = startLocalReconcile({
      env: env ?? {},
      sqs,
      s3,
      documents,
      tableName,
      queueUrl: resources.reconcileQueueUrl,
      payloadBucket: resources.payloadBucket,
      sourceFhirBaseUrl,
      credentials: credentials.providerFor(role),
      region: config.region,
      subscriptionStore,
      ledger,
      pipeline,
      logger: logger.child('reconcile'),
    });

    // 7. The ingest API (API Gateway events into the ingest Lambda handler) plus /_local/*.
    const token = config.token ?? randomBytes(24).toString('base64url');
    const served: { view?: LocalConfigView } = {};
    const api = await startIngestApi({
      host: config.host,
      port: config.apiPort,
      token,
      pipeline,
      subscriptionStore,
      subscriptionCache,
      allowedEndpoints,
      jobs,
      workQueue,
      reconcile: reconcile.routes,
      logger: logger.child('ingest'),
      stats,
      admin: (name) => (name === 'config' ? served.view : name === 'stats' ? stats.view() : undefined),
    });
    cleanups.push(() => api.stop());
    const apiUrl = api.url;
    const view: LocalConfigView = {
      apiUrl,
      region: config.region,
      ...(endpoints.sqsEndpoint ? { sqsEndpoint: endpoints.sqsEndpoint } : {}),
      ...(aws && endpoints.sqsEndpoint === aws.sqsEndpoint ? { credentials: { ...TEST_CREDENTIALS } } : {}),
      deliveryQueueUrl: resources.deliveryQueueUrl,
      deliveryDlqUrl: resources.deliveryDlqUrl,
      backfillQueueUrl: resources.backfillQueueUrl,
      backfillDlqUrl: resources.backfillDlqUrl,
      reconcileQueueUrl: resources.reconcileQueueUrl,
      reconcileDlqUrl: resources.reconcileDlqUrl,
      healthLakeEndpoint,
      ...(sourceFhirBaseUrl ? { sourceFhirBaseUrl } : {}),
      ...(autoSubscriptionId ? { autoSubscriptionId } : {}),
    };
    served.view = view;

    await delivery.start();
    await backfill.start();
    await reconcile.mapping.start();
    cleanups.push(
      () => delivery.stop(),
      () => backfill.stop(),
      () => reconcile.mapping.stop(),
    );

    const connector: LocalConnector = {
      config,
      apiUrl,
      token,
      healthLakeEndpoint,
      ...(healthlake ? { healthlake } : {}),
      ...(source ? { source } : {}),
      ...(sourceFhirBaseUrl ? { sourceFhirBaseUrl } : {}),
      ...(aws ? { aws } : {}),
      resources,
      ...(endpoints.sqsEndpoint ? { sqsEndpoint: endpoints.sqsEndpoint } : {}),
      sqs,
      ...(autoSubscriptionId ? { autoSubscriptionId } : {}),
      stats,
      delivery,
      backfill,
      reconcile: reconcile.mapping,
      view,
      readyMs: Date.now() - started,
      logger,
      attachProgress: (progress) => {
        hooks.beforeLog = () => progress.clear();
      },
      stop: stopAll,
    };
    return connector;
  } catch (error) {
    await healthlakeStarting.catch(() => undefined);
    await stopAll();
    throw error;
  }
};

/** The banner `npm start` prints: where everything listens, the token and a first request. */
export const readyBanner = (connector: LocalConnector): string => {
  const lines = [
    '',
    `HealthLake connector (local mode) ready in ${(connector.readyMs / 1000).toFixed(1)}s`,
    '',
    `  ingest API (FHIR R4)   ${connector.apiUrl}`,
    `  HealthLake data store  ${connector.healthLakeEndpoint}${connector.healthlake ? '  (stand-in, SigV4 + STS)' : ''}`,
    ...(connector.healthlake ? [`  STS                    ${connector.healthlake.stsEndpoint}`] : []),
    ...(connector.sourceFhirBaseUrl
      ? [
          `  source FHIR server     ${connector.sourceFhirBaseUrl}${connector.source ? '  (stand-in, no auth)' : ''}`,
        ]
      : []),
    `  SQS / S3               ${connector.sqsEndpoint ?? 'AWS'}`,
    `  delivery queue         ${connector.resources.deliveryQueueUrl}`,
    `  dead-letter queue      ${connector.resources.deliveryDlqUrl}`,
    ...(connector.autoSubscriptionId
      ? [
          `  subscription           Subscription/${connector.autoSubscriptionId} (${connector.config.autoSubscriptionCriteria})`,
        ]
      : []),
    '',
    `  development token      ${connector.token}`,
    '',
    'Try:',
    `  export HLC_API_URL=${connector.apiUrl} HLC_TOKEN=${connector.token}`,
    `  curl -s -X PUT "$HLC_API_URL/Patient/example" -H "Authorization: Bearer $HLC_TOKEN" \\`,
    `    -H 'Content-Type: application/fhir+json' -d '{"resourceType":"Patient","id":"example","active":true}'`,
    `  npm run cli -- status`,
    '',
  ];
  return lines.join('\n');
};

/** `npm start`: starts, prints the banner, shows progress, stops cleanly on SIGINT/SIGTERM. */
const main = async () => {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(localUsage());
    return;
  }
  let connector: LocalConnector;
  try {
    connector = await startConnector({ argv, env: process.env });
  } catch (error) {
    console.error(`Local mode failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log(readyBanner(connector));
  const progress = startProgress(connector.stats, { mode: connector.config.progress, sink: process.stdout });
  connector.attachProgress(progress);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    progress.stop();
    console.log(`\n${signal}: stopping pollers and servers...`);
    await connector.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
