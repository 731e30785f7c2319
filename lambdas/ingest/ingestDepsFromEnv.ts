import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  DynamoJobStore,
  handleBackfillRequest,
  SqsWorkQueue,
  subscriptionLookup,
} from '../../shared/backfill/index.js';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { INGEST_CONTRACT } from '../../shared/runtime/ingestContract.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { criteriaCompiler } from '../../shared/criteria/index.js';
import { createAuthenticator } from '../../shared/ingest/auth/createAuthenticator.js';
import { parseTokenList } from '../../shared/ingest/auth/parseTokenList.js';
import { powertoolsTokenSource } from '../../shared/ingest/auth/powertoolsTokenSource.js';
import type { AcceptedToken, TokenSource } from '../../shared/ingest/auth/types.js';
import { AUTH_MODES } from '../../shared/ingest/auth/types.js';
import { INGEST_ENV } from '../../shared/ingest/constants.js';
import { createIngestRouter } from '../../shared/ingest/createIngestRouter.js';
import type { PluggedRoute } from '../../shared/ingest/createIngestRouter.js';
import {
  EXPLAIN_SUBSCRIPTIONS_OPERATIONS,
  RESET_VERSION_OPERATIONS,
} from '../../shared/ingest/routes/operations.js';
import { BACKFILL_OPERATIONS } from '../../shared/backfill/backfillOperations.js';
import { NOTIFICATION_STATUS_OPERATIONS } from '../../shared/notificationIntake/notificationOperations.js';
import { RECONCILE_OPERATIONS } from '../../shared/reconcile/reconcileOperations.js';
import { IngestMetricsCollector } from '../../shared/ingest/IngestMetricsCollector.js';
import { writePipelineFromEnv } from '../../shared/runtime/writePipelineFromEnv.js';
import { DynamoReconcileJobStore } from '../../shared/reconcile/DynamoReconcileJobStore.js';
import {
  handleReconcileRequest,
  type ReconcileRouteDeps,
} from '../../shared/reconcile/handleReconcileRequest.js';
import { idListLocation } from '../../shared/reconcile/IdListSink.js';
import type { ReconcileMessage } from '../../shared/reconcile/types.js';
import { autoManagedSubscriptionId, handleSubscriptionRequest } from '../../shared/subscriptions/index.js';
import { DynamoVersionStateReset } from '../../shared/versions/DynamoVersionStateReset.js';
import { handleExplainSubscriptions } from '../../shared/ingest/routes/handleExplainSubscriptions.js';
import { handleResetVersion } from '../../shared/ingest/routes/handleResetVersion.js';
import type { IngestHandlerDeps } from './createIngestHandler.js';
import { notificationRoute } from '../../shared/notificationIntake/handleNotificationRequest.js';
import { handleNotificationStatusRequest } from '../../shared/notificationIntake/handleNotificationStatusRequest.js';
import { notificationRules } from '../../shared/runtime/notificationEnv.js';
import { notificationIntakeFromEnv } from '../../shared/runtime/notificationIntakeFromEnv.js';
import { ENV } from '../../shared/config/constants.js';
import { moduleEndpointProblems } from '../../shared/subscriptions/moduleEndpoints.js';

/** The token list given inline (local mode), in the secret's format; invalid JSON fails the start-up. */
const inlineTokenList = (raw: string): AcceptedToken[] | undefined => {
  try {
    return parseTokenList(JSON.parse(raw));
  } catch {
    return undefined;
  }
};

/**
 * The ingest Lambda's dependencies from its environment (`INGEST_CONTRACT`, shared/runtime/functionContracts.ts),
 * read once; every problem is reported at once. Subscription management is wired in;
 * `$trigger-subscription` and `$backfill-job` when BACKFILL_QUEUE_URL is set; `$reconcile` and
 * `$reconcile-job` when RECONCILE_QUEUE_URL is set.
 */
export const ingestDepsFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): IngestHandlerDeps & { destroy(): void } => {
  const values = readEnv(INGEST_CONTRACT, env, 'ingest', (read) => {
    const bearer = read.authModes?.includes(AUTH_MODES.bearer);
    if (bearer && !read.tokenSecretId && !read.tokenHashes) {
      return [`${ENV.ingestTokenSecretId} is required (bearer authentication)`];
    }
    if (read.tokenHashes && inlineTokenList(read.tokenHashes) === undefined) {
      return [`${INGEST_ENV.tokenHashes} must be a token list in the token secret's JSON format`];
    }
    return [
      ...moduleEndpointProblems(read.moduleEndpoints, read.allowedEndpoints),
      ...notificationRules(read),
    ];
  });
  const logger = sinks.logger ?? loggerFromEnv('ingest', env);
  const metrics = sinks.metrics ?? metricsFromEnv('ingest', env);
  const collector = new IngestMetricsCollector();

  // With a source server, criteria only it can evaluate are accepted, matched and confirmed there.
  const sourceEvaluation = values.sourceBaseUrl !== undefined;
  const compileCriteria = criteriaCompiler({ sourceEvaluation });
  const write = writePipelineFromEnv(values, {
    logger,
    sourceEvaluation,
    troubleshooting: logger,
    maxVersionJump: values.maxVersionJump,
  });
  const { pipeline, subscriptions: store, cache, allowedEndpoints, tableName, document, sqs } = write;
  // Admin operations: $reset-version clears a resource's (or a type's) version state.
  const reset = new DynamoVersionStateReset({ client: document, tableName });
  // Each route with the operations it serves: `GET metadata` lists exactly these.
  const routes: PluggedRoute[] = [
    {
      operations: RESET_VERSION_OPERATIONS,
      route: (request) => handleResetVersion(request, { reset, logger }),
    },
    // $explain-subscriptions: which active Subscriptions a resource matches and why not, writing nothing.
    {
      operations: EXPLAIN_SUBSCRIPTIONS_OPERATIONS,
      route: (request) =>
        handleExplainSubscriptions(request, {
          explain: (resource, operation, options) => cache.explain(resource, operation, options),
          logger,
          validateResources: values.validateResources,
        }),
    },
  ];
  const deploymentOwnedId =
    values.autoSubscriptionEnabled && values.connectorId
      ? autoManagedSubscriptionId(values.connectorId)
      : undefined;
  if (values.backfillQueueUrl) {
    const deps = {
      jobs: new DynamoJobStore({ client: document, tableName }),
      subscriptions: subscriptionLookup(store),
      queue: new SqsWorkQueue({ client: sqs, queueUrl: values.backfillQueueUrl }),
      compileCriteria,
      logger,
      ...(values.backfillTypeOrder.length > 0 ? { typeOrder: values.backfillTypeOrder } : {}),
    };
    routes.push({
      operations: BACKFILL_OPERATIONS,
      route: (request) => handleBackfillRequest(request, deps),
    });
  }
  if (values.reconcileQueueUrl) {
    const bucket = values.payloadBucket;
    const deps: ReconcileRouteDeps = {
      jobs: new DynamoReconcileJobStore({ client: document, tableName }),
      subscriptions: subscriptionLookup(store),
      queue: new SqsWorkQueue<ReconcileMessage>({ client: sqs, queueUrl: values.reconcileQueueUrl }),
      compileCriteria,
      ...(bucket ? { idListLocation: (jobId: string) => idListLocation(bucket, jobId) } : {}),
      logger,
    };
    // Admin-only like the backfill routes (routeScope: undeclared routes need the admin scope).
    routes.push({
      operations: RECONCILE_OPERATIONS,
      route: (request) => handleReconcileRequest(request, deps),
    });
  }
  // Backport notifications in: a write-scope endpoint for the source's topic-based Subscriptions, and
  // the admin view of what the connector knows of each (hlc status).
  const notifications = notificationIntakeFromEnv(values, {
    document,
    sqs,
    tableName,
    subscriptions: store,
    logger,
  });
  if (notifications.sources.size > 0) {
    routes.push(
      notificationRoute({
        ...notifications,
        pipeline,
        onWritten: (write, result) => collector.written(write, result),
        observer: {
          missed: (count) => collector.missed(count),
          notification: (disposition) => collector.notification(disposition),
        },
        validateResources: values.validateResources,
        maxClockSkewSeconds: values.maxClockSkewSeconds,
      }),
    );
  }
  routes.push({
    operations: NOTIFICATION_STATUS_OPERATIONS,
    route: (request) =>
      handleNotificationStatusRequest(request, {
        states: notifications.states,
        ...(notifications.toleranceSeconds === undefined
          ? {}
          : { toleranceSeconds: notifications.toleranceSeconds }),
      }),
  });
  const route = createIngestRouter({
    pipeline,
    observer: collector,
    logger,
    limits: {
      maxBundleEntries: values.maxBundleEntries,
      validateResources: values.validateResources,
      maxClockSkewSeconds: values.maxClockSkewSeconds,
      repeatedStaleWrites: values.repeatedStaleWrites,
    },
    subscriptionRoute: (request) =>
      handleSubscriptionRequest(request, {
        store,
        allowedEndpoints,
        // A Subscription without channel.endpoint goes to the primary data store (Smile CDR style);
        // one asking for more retries than the deployment's limit gets a warning.
        ...(values.healthLakeEndpoint ? { primaryEndpoint: values.healthLakeEndpoint } : {}),
        // Smile's awshealthlake-sender-module-id routes to the data store its module stands for.
        moduleEndpoints: values.moduleEndpoints,
        // A Subscription may name only an allow-listed transform (delivery.transforms).
        transforms: new Set(values.transforms.keys()),
        ...(values.deliveryRetryCount === undefined
          ? {}
          : { maxDeliveryRetryCount: values.deliveryRetryCount }),
        logger,
        sourceEvaluation,
        onChange: () => cache.invalidate(),
        maxSubscriptions: values.maxSubscriptions,
        ...(deploymentOwnedId ? { deploymentOwnedId } : {}),
      }),
    routes,
    triggerSubscription: values.backfillQueueUrl !== undefined,
    authModes: values.authModes.map((mode) => (mode === AUTH_MODES.iam ? 'IAM (SigV4)' : 'bearer token')),
  });
  const clients: { destroy(): void }[] = [];
  const tokenSource = (): TokenSource | undefined => {
    if (values.tokenHashes) {
      const tokens = inlineTokenList(values.tokenHashes) ?? [];
      return async () => tokens;
    }
    if (!values.tokenSecretId) return undefined;
    const store = values.tokenStore;
    const client =
      store === 'ssm'
        ? { ssmClient: new SSMClient(awsClientConfig(values, values.ssmEndpoint)) }
        : { secretsClient: new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint)) };
    clients.push(client.ssmClient ?? client.secretsClient);
    return powertoolsTokenSource({
      store,
      name: values.tokenSecretId,
      maxAgeSeconds: values.tokenCacheSeconds,
      ...client,
    });
  };
  const tokens = tokenSource();
  const authenticator = createAuthenticator({
    modes: [...values.authModes],
    adminPrincipalArns: values.adminPrincipalArns,
    ...(tokens ? { tokens } : {}),
  });
  return {
    route,
    authenticator,
    collector,
    logger,
    metrics,
    maxBodyBytes: values.maxBodyBytes,
    maxJsonDepth: values.maxJsonDepth,
    ...(values.publicBaseUrl ? { publicBaseUrl: values.publicBaseUrl } : {}),
    destroy: () => {
      write.destroy();
      for (const client of clients) client.destroy();
    },
  };
};
