import { randomBytes, randomUUID } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { backfillWorkerHandlerFromEnv } from '../lambdas/backfill-worker/backfillWorkerHandlerFromEnv.js';
import { delivererHandlerFromEnv } from '../lambdas/deliverer/delivererHandlerFromEnv.js';
import { ingestHandlerFromEnv } from '../lambdas/ingest/ingestHandlerFromEnv.js';
import { notificationCheckHandlerFromEnv } from '../lambdas/notification-check/notificationCheckHandlerFromEnv.js';
import { reconcileWorkerHandlerFromEnv } from '../lambdas/reconcile-worker/reconcileWorkerHandlerFromEnv.js';
import { sqlWriterHandlerFromEnv } from '../lambdas/sql-writer/sqlWriterHandlerFromEnv.js';
import { subscriptionProvisionerHandlerFromEnv } from '../lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.js';
import { METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { TOKEN_SCOPES } from '../shared/http/scopes.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import type { AcceptedToken } from '../shared/ingest/auth/types.js';
import { INGEST_METRICS } from '../shared/ingest/IngestMetricsCollector.js';
import type { LocalConfigView } from '../shared/operator/localAdmin.js';
import { RECONCILE_ENV } from '../shared/reconcile/constants.js';
import { autoSubscriptionProperties } from '../shared/subscriptions/autoSubscriptionProperties.js';
import { LocalConfigError, type LocalConfig } from './config.js';
import { startLambdaStandin, type LocalFunction } from './standins/lambda.js';
import { TRANSFORM_NAME_PATTERN } from '../shared/subscriptions/transforms.js';
import { customResourceCreate } from './customResourceEvent.js';
import { EventSourceMapping } from './eventSourceMapping.js';
import { exposureWarning } from './exposureWarning.js';
import { localLambdaContext } from './lambdaContext.js';
import { scheduledEvent } from './scheduledEvent.js';
import { localCredentials, localFunctionEnvironments } from './functionEnvironments.js';
import { healthLakeAdmin } from './healthLakeAdmin.js';
import { startIngestApi } from './ingestApi.js';
import type { LocalLogger } from './localLogger.js';
import type { LocalStats } from './LocalStats.js';
import { listenError } from './portCheck.js';
import { CountingMetrics, LocalPowertoolsLogger, type SingleMetricSink } from './powertoolsLocal.js';
import type { Cleanups, LocalServices } from './services.js';
import { TEST_CREDENTIALS } from './standins/aws.js';

/** Where backfill reads when no source server is configured or started: jobs fail to read, visibly. */
const UNCONFIGURED_SOURCE = 'http://127.0.0.1:9/unconfigured/';

/** `--transforms name=path` entries as the Lambda stand-in's functions (each named for its transform). */
const localTransforms = (entries: readonly string[]): LocalFunction[] =>
  entries.map((entry) => {
    const equals = entry.indexOf('=');
    const name = entry.slice(0, Math.max(0, equals));
    if (equals <= 0 || !TRANSFORM_NAME_PATTERN.test(name) || entry.length === equals + 1) {
      throw new LocalConfigError(
        '--transforms entries are name=path/to/module.mjs (a name of letters, digits, _ or -)',
      );
    }
    return { name, module: entry.slice(equals + 1) };
  });

/** Tuning that tests and benchmarks set beyond the configuration. */
export interface LocalFunctionTuning {
  /** HealthLake response timeout, ms (default 10 000; tests with timeout faults use less). */
  readonly healthLakeTimeoutMs?: number;
  /** Pace writes after a 429 (default true; `npm run bench -- quota` compares both). */
  readonly adaptivePacing?: boolean;
  /** Environment the reconcile tuning variables are read from. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The connector's functions, running behind their local triggers. */
export interface LocalFunctions {
  readonly apiUrl: string;
  /** The development bearer token, admin scope (its sha256 is what the ingest API accepts). */
  readonly token: string;
  /** A producer token, write scope only (FHIR writes, transactions, batches). */
  readonly writeToken: string;
  readonly autoSubscriptionId?: string;
  readonly delivery: EventSourceMapping;
  readonly backfill: EventSourceMapping;
  readonly reconcile: EventSourceMapping;
  /** The SQL writer's poller on the SQL queue, when the SQL target is on. */
  readonly sqlDelivery?: EventSourceMapping;
  /** What `/_local/config` serves. */
  readonly view: LocalConfigView;
}

/**
 * Builds every function with its Lambda factory from the environment the stack would write, runs the
 * deploy-time provisioner, puts the workers behind event source mapping pollers and the ingest handler
 * behind the API Gateway adapter (plus `/_local/*`), then starts the pollers.
 */
export const startLocalFunctions = async (options: {
  readonly config: LocalConfig;
  readonly services: LocalServices;
  readonly stats: LocalStats;
  readonly logger: LocalLogger;
  readonly tuning: LocalFunctionTuning;
  readonly cleanups: Cleanups;
}): Promise<LocalFunctions> => {
  const { config, services, stats, logger, tuning, cleanups } = options;
  const { resources, endpoints, healthlake, healthLakeEndpoint, stsEndpoint, sourceFhirBaseUrl } = services;
  const log = logger.child('local');

  const token = config.token ?? randomBytes(32).toString('hex');
  const writeToken = randomBytes(32).toString('hex');
  const tokens: AcceptedToken[] = [
    { sha256: hashToken(token), scope: TOKEN_SCOPES.admin, name: 'local-admin' },
    { sha256: hashToken(writeToken), scope: TOKEN_SCOPES.write, name: 'local-write' },
  ];
  const exposed = exposureWarning(config.host);
  if (exposed) log.warn(exposed, { host: config.host });
  const credentials = localCredentials({ healthlake, stsEndpoint, endpoints, isStandin: services.isStandin });
  // Delivery transforms: JavaScript modules behind a Lambda Invoke stand-in, called as Lambda is.
  const transformModules = localTransforms(config.transforms);
  const lambda =
    transformModules.length === 0
      ? undefined
      : await startLambdaStandin({
          functions: transformModules,
          region: config.region,
          credentials: credentials ? [credentials] : [],
          host: config.host,
        });
  if (lambda) cleanups.push(() => lambda.stop());
  const environments = localFunctionEnvironments({
    config,
    resources,
    endpoints: {
      sqs: endpoints.sqsEndpoint,
      s3: endpoints.s3Endpoint,
      dynamodb: endpoints.dynamoEndpoint,
      sts: stsEndpoint,
    },
    credentials,
    healthLakeEndpoint,
    additionalEndpoints: services.additionalEndpoints,
    ...(lambda
      ? {
          transforms: {
            endpoint: lambda.endpoint,
            functions: transformModules.map(({ name }) => `${name}=${lambda.functionArn(name)}`),
          },
        }
      : {}),
    sourceFhirBaseUrl: sourceFhirBaseUrl ?? UNCONFIGURED_SOURCE,
    sourceConfigured: sourceFhirBaseUrl !== undefined,
    tokens,
    ...(services.sql
      ? { sql: { url: services.sql.url, embedded: services.sql.embedded !== undefined } }
      : {}),
    tuning: {
      ...(tuning.healthLakeTimeoutMs === undefined
        ? {}
        : { healthLakeTimeoutMs: tuning.healthLakeTimeoutMs }),
      ...(tuning.adaptivePacing === undefined ? {} : { adaptivePacing: tuning.adaptivePacing }),
    },
    reconcileTuning: {
      sourceRequestsPerSecond: tuning.env?.[RECONCILE_ENV.sourceRequestsPerSecond],
      healthLakeRequestsPerSecond: tuning.env?.[RECONCILE_ENV.healthLakeRequestsPerSecond],
      pageSize: tuning.env?.[RECONCILE_ENV.pageSize],
    },
  });
  const sinks = (
    service: string,
    onMetric: (name: string, value: number) => void = () => undefined,
    onSingleMetric?: SingleMetricSink,
  ) => ({
    logger: new LocalPowertoolsLogger(logger.child(service), { serviceName: service }),
    metrics: new CountingMetrics(
      { namespace: METRICS_NAMESPACE, serviceName: service },
      onMetric,
      onSingleMetric,
    ),
  });

  // The deploy-time custom resource: the auto-managed subscription.
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
            allowedEndpoints: [healthLakeEndpoint, ...services.additionalEndpoints],
            retryCount: config.deliveryRetryCount,
          }),
        ),
      );
      autoSubscriptionId = created.Data?.SubscriptionId;
    } finally {
      provisioner.destroy();
    }
  }

  // The deliverer behind the event source mapping poller.
  const deliverer = delivererHandlerFromEnv(
    environments.deliverer,
    sinks('deliverer', stats.countDeliveryMetric, stats.countSingleMetric),
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
    sqs: services.sqs,
    queueUrl: resources.deliveryQueueUrl,
    queueArn: resources.deliveryQueueArn,
    handler: trackedDeliverer,
    batchSize: 10,
    concurrency: config.deliveryConcurrency,
    functionName: 'healthlake-connector-deliverer',
    onError: (error) => log.warn('Deliverer poller error', { error }),
  });

  // The SQL writer behind its own poller on the SQL queue, its target made ready (schema created or
  // checked) before the API accepts writes, so a schema problem is reported at start.
  let sqlDelivery: EventSourceMapping | undefined;
  if (environments.sqlWriter) {
    stats.enableSql();
    const sqlWriter = sqlWriterHandlerFromEnv(environments.sqlWriter, sinks('sql', stats.countSqlMetric));
    cleanups.push(() => sqlWriter.destroy());
    const problems = await sqlWriter.ready();
    if (problems.length > 0)
      log.warn('The SQL target schema lacks what the mapping writes (see `npm run cli -- sql schema`)', {
        problems: problems.length,
      });
    sqlDelivery = new EventSourceMapping({
      sqs: services.sqs,
      queueUrl: resources.sqlQueueUrl,
      queueArn: resources.sqlQueueArn,
      handler: sqlWriter,
      batchSize: 10,
      concurrency: services.sql?.embedded ? 1 : 2,
      functionName: 'healthlake-connector-sql-writer',
      onError: (error) => log.warn('SQL writer poller error', { error }),
    });
  }

  // The backfill worker behind its own poller.
  const backfillWorker = backfillWorkerHandlerFromEnv(environments.backfillWorker, sinks('backfill'));
  cleanups.push(() => backfillWorker.destroy());
  const backfill = new EventSourceMapping({
    sqs: services.sqs,
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

  // The reconcile worker behind its own poller.
  const reconcileWorker = reconcileWorkerHandlerFromEnv(environments.reconcileWorker, sinks('reconcile'));
  cleanups.push(() => reconcileWorker.destroy());
  const reconcile = new EventSourceMapping({
    sqs: services.sqs,
    queueUrl: resources.reconcileQueueUrl,
    handler: reconcileWorker,
    batchSize: 1,
    concurrency: 2,
    functionName: 'healthlake-connector-reconcile-worker',
    onError: (error) => log.warn('Reconcile poller error', { error }),
  });

  // The ingest Lambda behind the API Gateway stand-in, plus /_local/*.
  const ingest = ingestHandlerFromEnv(
    environments.ingest,
    sinks('ingest', (name, value) => {
      if (name === INGEST_METRICS.ingested) stats.ingested += value;
      else if (name === INGEST_METRICS.rejectedRequests) stats.ingestErrors += value;
      else if (name === INGEST_METRICS.writesUnmatched) stats.writesUnmatched += value;
      else if (name === INGEST_METRICS.identicalResends) stats.identicalResends += value;
      else if (name === INGEST_METRICS.missedNotifications) stats.missedNotifications += value;
    }),
  );
  cleanups.push(() => ingest.destroy());

  // The heartbeat check of backport notifications: a timer where the stack has an EventBridge schedule.
  if (config.notificationSources) {
    const check = notificationCheckHandlerFromEnv(
      environments.notificationCheck,
      sinks('notifications', (name, value) => {
        if (name === INGEST_METRICS.missedNotifications) stats.missedNotifications += value;
      }),
    );
    let running: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      // One check at a time, as a scheduled Lambda that outlasts its rate would run (it never overlaps here).
      running ??= check(
        scheduledEvent(config.region),
        localLambdaContext({
          functionName: 'healthlake-connector-notification-check',
          requestId: randomUUID(),
          timeoutMs: 60_000,
          region: config.region,
        }),
      )
        .catch((error: unknown) => log.warn('Heartbeat check failed', { error }))
        .finally(() => (running = undefined));
    }, config.notificationCheckSeconds * 1000);
    cleanups.push(async () => {
      clearInterval(timer);
      await running;
      check.destroy();
    });
  }
  const served: { view?: LocalConfigView } = {};
  const api = await startIngestApi({
    host: config.host,
    port: config.apiPort,
    handler: ingest,
    tokens,
    admin: async (name, method) => {
      const request = `${method} ${name}`;
      if (request === 'GET config') return served.view;
      // What reached the HealthLake stand-in (`hlc local healthlake list|get`).
      if (method === 'GET' && (name === 'healthlake' || name.startsWith('healthlake/'))) {
        return healthLakeAdmin(healthlake, name.split('/').slice(1).filter(Boolean));
      }
      if (request === 'GET stats') {
        // The queue stand-in shows messages no poller holds (delivery paused, backlog, delayed retries).
        const queued = services.aws?.oldestSentMs(resources.deliveryQueueUrl);
        return stats.view(undefined, queued);
      }
      // The delivery switch (`hlc delivery pause|resume`): the poller stops, messages wait in the queue.
      if (request === 'POST delivery/pause') await delivery.pause();
      else if (request === 'POST delivery/resume') await delivery.start();
      else if (request !== 'GET delivery') return undefined;
      return { state: delivery.state, mappingId: 'local' };
    },
  }).catch((error: unknown) => {
    throw listenError(error, 'apiPort', config.host, config.apiPort);
  });
  cleanups.push(() => api.stop());
  const { aws } = services;
  const view: LocalConfigView = {
    apiUrl: api.url,
    region: config.region,
    ...(endpoints.sqsEndpoint ? { sqsEndpoint: endpoints.sqsEndpoint } : {}),
    ...(aws && endpoints.sqsEndpoint === aws.sqsEndpoint ? { credentials: { ...TEST_CREDENTIALS } } : {}),
    deliveryQueueUrl: resources.deliveryQueueUrl,
    deliveryDlqUrl: resources.deliveryDlqUrl,
    backfillQueueUrl: resources.backfillQueueUrl,
    backfillDlqUrl: resources.backfillDlqUrl,
    reconcileQueueUrl: resources.reconcileQueueUrl,
    reconcileDlqUrl: resources.reconcileDlqUrl,
    ...(sqlDelivery ? { sqlQueueUrl: resources.sqlQueueUrl, sqlDlqUrl: resources.sqlDlqUrl } : {}),
    healthLakeEndpoint,
    ...(sourceFhirBaseUrl ? { sourceFhirBaseUrl } : {}),
    ...(autoSubscriptionId ? { autoSubscriptionId } : {}),
  };
  served.view = view;

  await delivery.start();
  await backfill.start();
  await reconcile.start();
  await sqlDelivery?.start();
  cleanups.push(
    () => delivery.stop(),
    () => backfill.stop(),
    () => reconcile.stop(),
    () => sqlDelivery?.stop(),
  );
  return {
    apiUrl: api.url,
    token,
    writeToken,
    ...(autoSubscriptionId ? { autoSubscriptionId } : {}),
    delivery,
    backfill,
    reconcile,
    ...(sqlDelivery ? { sqlDelivery } : {}),
    view,
  };
};
