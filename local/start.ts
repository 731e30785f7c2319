/**
 * Local mode (`npm start`): the whole connector on one machine, with the same handler code as in
 * Lambda, real wire protocols and embedded stand-ins (fauxqs, dynalite, HealthLake + STS, a source
 * FHIR server). `startConnector(options)` does the same in-process for tests and benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { backfillWorkerHandlerFromEnv } from '../lambdas/backfill-worker/backfillWorkerHandlerFromEnv.js';
import { delivererHandlerFromEnv } from '../lambdas/deliverer/delivererHandlerFromEnv.js';
import { ingestHandlerFromEnv } from '../lambdas/ingest/ingestHandlerFromEnv.js';
import { subscriptionProvisionerHandlerFromEnv } from '../lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.js';
import { METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { INGEST_METRICS } from '../shared/ingest/IngestMetricsCollector.js';
import type { LocalConfigView } from '../shared/operator/localAdmin.js';
import { autoSubscriptionProperties } from '../shared/subscriptions/autoSubscriptionProperties.js';
import { normalizeEndpoint } from '../shared/subscriptions/endpoints.js';
import { loadLocalConfig, LocalConfigError, localUsage, type LocalConfig } from './config.js';
import { customResourceCreate } from './customResourceEvent.js';
import { EventSourceMapping } from './eventSourceMapping.js';
import { localCredentials, localFunctionEnvironments } from './functionEnvironments.js';
import { startIngestApi } from './ingestApi.js';
import { exposureWarning } from './exposureWarning.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import { TOKEN_SCOPES, type AcceptedToken } from '../shared/ingest/auth/types.js';
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
import { reconcileWorkerHandlerFromEnv } from '../lambdas/reconcile-worker/reconcileWorkerHandlerFromEnv.js';
import { RECONCILE_ENV } from '../shared/reconcile/constants.js';

/** Where backfill reads when no source server is configured or started: jobs fail to read, visibly. */
const UNCONFIGURED_SOURCE = 'http://127.0.0.1:9/unconfigured/';

/** Options of `startConnector`: any LocalConfig field, plus where flags/env come from. */
export interface StartConnectorOptions extends Partial<Omit<LocalConfig, 'faults'>> {
  readonly faults?: Partial<LocalConfig['faults']>;
  /** Command-line flags to read (default none). */
  readonly argv?: readonly string[];
  /** Environment to read HLC_* variables from (default: none, so tests are not affected by the shell). */
  readonly env?: NodeJS.ProcessEnv;
  /** HealthLake response timeout, ms (default 10 000; tests with timeout faults use less). */
  readonly healthLakeTimeoutMs?: number;
  /** Pace writes after a 429 (default true; `npm run bench -- quota` compares both). */
  readonly adaptivePacing?: boolean;
  /** Where log lines go (default stderr). */
  readonly logWrite?: (line: string) => void;
}

/** A running local connector. */
export interface LocalConnector {
  readonly config: LocalConfig;
  /** FHIR base URL of the ingest API. */
  readonly apiUrl: string;
  /** The development bearer token, admin scope (its sha256 is what the ingest API accepts). */
  readonly token: string;
  /** A producer token, write scope only (FHIR writes, transactions, batches). */
  readonly writeToken: string;
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
  const { argv, env, healthLakeTimeoutMs, adaptivePacing, logWrite, faults, ...overrides } = options;
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
    // The event source mapping pollers' client (Lambda's service side, not the functions').
    const sqs = new SQSClient(clientConfig(endpoints.sqsEndpoint, config.region, isStandin));
    cleanups.push(() => sqs.destroy());

    // 2. HealthLake + STS: the stand-in unless a data store URL is configured.
    const healthlake = await healthlakeStarting;
    const healthLakeEndpoint = normalizeEndpoint(config.healthLakeEndpoint ?? healthlake?.endpoint ?? '');
    if (!healthLakeEndpoint) throw new LocalConfigError('--healthlake-endpoint is not an http(s) URL');
    const stsEndpoint = config.stsEndpoint ?? healthlake?.stsEndpoint;

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

    // 4. Every function built by its Lambda factory from the environment the stack would write.
    const token = config.token ?? randomBytes(32).toString('hex');
    const writeToken = randomBytes(32).toString('hex');
    const tokens: AcceptedToken[] = [
      { sha256: hashToken(token), scope: TOKEN_SCOPES.admin, name: 'local-admin' },
      { sha256: hashToken(writeToken), scope: TOKEN_SCOPES.write, name: 'local-write' },
    ];
    const exposed = exposureWarning(config.host);
    if (exposed) log.warn(exposed, { host: config.host });
    const environments = localFunctionEnvironments({
      config,
      resources,
      endpoints: {
        sqs: endpoints.sqsEndpoint,
        s3: endpoints.s3Endpoint,
        dynamodb: endpoints.dynamoEndpoint,
        sts: stsEndpoint,
      },
      credentials: localCredentials({ healthlake, stsEndpoint, endpoints, isStandin }),
      healthLakeEndpoint,
      sourceFhirBaseUrl: sourceFhirBaseUrl ?? UNCONFIGURED_SOURCE,
      tokens,
      tuning: {
        ...(healthLakeTimeoutMs === undefined ? {} : { healthLakeTimeoutMs }),
        ...(adaptivePacing === undefined ? {} : { adaptivePacing }),
      },
      reconcileTuning: {
        sourceRequestsPerSecond: env?.[RECONCILE_ENV.sourceRequestsPerSecond],
        healthLakeRequestsPerSecond: env?.[RECONCILE_ENV.healthLakeRequestsPerSecond],
        pageSize: env?.[RECONCILE_ENV.pageSize],
      },
    });
    const sinks = (service: string, onMetric: (name: string, value: number) => void = () => undefined) => ({
      logger: new LocalPowertoolsLogger(logger.child(service), { serviceName: service }),
      metrics: new CountingMetrics({ namespace: METRICS_NAMESPACE, serviceName: service }, onMetric),
    });

    // 5. The deploy-time custom resource: the auto-managed subscription.
    let autoSubscriptionId: string | undefined;
    if (config.autoSubscription) {
      const provisioner = subscriptionProvisionerHandlerFromEnv(
        environments.subscriptionProvisioner,
        sinks('subs'),
      );
      try {
        const created = await provisioner(
          customResourceCreate(
            autoSubscriptionProperties({
              connectorId: config.connectorId,
              criteria: config.autoSubscriptionCriteria,
              endpoint: healthLakeEndpoint,
              allowedEndpoints: [healthLakeEndpoint],
              retryCount: config.deliveryRetryCount,
            }),
          ),
        );
        autoSubscriptionId = created.Data?.SubscriptionId;
      } finally {
        provisioner.destroy();
      }
    }

    // 6. The deliverer behind the event source mapping poller.
    const deliverer = delivererHandlerFromEnv(
      environments.deliverer,
      sinks('deliverer', stats.countDeliveryMetric),
    );
    cleanups.push(() => deliverer.destroy());
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
      onError: (error) => log.warn('Deliverer poller error', { error }),
    });

    // 7. The backfill worker behind its own poller.
    const backfillWorker = backfillWorkerHandlerFromEnv(environments.backfillWorker, sinks('backfill'));
    cleanups.push(() => backfillWorker.destroy());
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
      onError: (error) => log.warn('Backfill poller error', { error }),
    });

    // 8. The reconcile worker behind its own poller.
    const reconcileWorker = reconcileWorkerHandlerFromEnv(environments.reconcileWorker, sinks('reconcile'));
    cleanups.push(() => reconcileWorker.destroy());
    const reconcile = new EventSourceMapping({
      sqs,
      queueUrl: resources.reconcileQueueUrl,
      handler: reconcileWorker,
      batchSize: 1,
      concurrency: 2,
      functionName: 'healthlake-connector-reconcile-worker',
      onError: (error) => log.warn('Reconcile poller error', { error }),
    });

    // 9. The ingest Lambda behind the API Gateway stand-in, plus /_local/*.
    const ingest = ingestHandlerFromEnv(
      environments.ingest,
      sinks('ingest', (name, value) => {
        if (name === INGEST_METRICS.ingested) stats.ingested += value;
        else if (name === INGEST_METRICS.rejectedRequests) stats.ingestErrors += value;
        else if (name === INGEST_METRICS.writesUnmatched) stats.writesUnmatched += value;
      }),
    );
    cleanups.push(() => ingest.destroy());
    const served: { view?: LocalConfigView } = {};
    const api = await startIngestApi({
      host: config.host,
      port: config.apiPort,
      handler: ingest,
      tokens,
      admin: async (name, method) => {
        const request = `${method} ${name}`;
        if (request === 'GET config') return served.view;
        if (request === 'GET stats') return stats.view();
        // The delivery switch (`hlc delivery pause|resume`): the poller stops, messages wait in the queue.
        if (request === 'POST delivery/pause') await delivery.pause();
        else if (request === 'POST delivery/resume') await delivery.start();
        else if (request !== 'GET delivery') return undefined;
        return { state: delivery.state, mappingId: 'local' };
      },
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
    await reconcile.start();
    cleanups.push(
      () => delivery.stop(),
      () => backfill.stop(),
      () => reconcile.stop(),
    );

    const connector: LocalConnector = {
      config,
      apiUrl,
      token,
      writeToken,
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
      reconcile: reconcile,
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
    `  development token      ${connector.token}  (admin: writes, Subscriptions, backfill, /_local/*)`,
    `  producer token         ${connector.writeToken}  (write only: FHIR writes, transactions, batches)`,
    ...(exposureWarning(connector.config.host)
      ? ['', `  WARNING: ${exposureWarning(connector.config.host)}`]
      : []),
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
