import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DynamoJobStore,
  handleBackfillRequest,
  SqsWorkQueue,
  subscriptionLookup,
} from '../../shared/backfill/index.js';
import { RECONCILE_ENV } from '../../shared/reconcile/constants.js';
import { idListLocation } from '../../shared/reconcile/IdListSink.js';
import { DynamoReconcileJobStore } from '../../shared/reconcile/DynamoReconcileJobStore.js';
import {
  handleReconcileRequest,
  type ReconcileRouteDeps,
} from '../../shared/reconcile/handleReconcileRequest.js';
import type { ReconcileMessage } from '../../shared/reconcile/types.js';
import { ENV } from '../../shared/config/constants.js';
import { boolEnv, ConfigurationError, intEnv, optionalEnv } from '../../shared/config/env.js';
import { compileCriteria } from '../../shared/criteria/index.js';
import { createAuthenticator } from '../../shared/ingest/auth/createAuthenticator.js';
import { powertoolsTokenSource } from '../../shared/ingest/auth/powertoolsTokenSource.js';
import { AUTH_MODES, type AuthMode } from '../../shared/ingest/auth/types.js';
import { INGEST_DEFAULTS, INGEST_ENV } from '../../shared/ingest/constants.js';
import { createIngestRouter } from '../../shared/ingest/createIngestRouter.js';
import type { OptionalRoute } from '../../shared/ingest/createIngestRouter.js';
import { IngestMetricsCollector } from '../../shared/ingest/IngestMetricsCollector.js';
import { writePipelineFromEnv } from '../../shared/ingest/writePipelineFromEnv.js';
import { handleSubscriptionRequest } from '../../shared/subscriptions/index.js';
import type { IngestHandlerDeps } from './createIngestHandler.js';

const parseAuthModes = (raw: string): AuthMode[] => {
  const modes = raw
    .split(',')
    .map((mode) => mode.trim())
    .filter(Boolean);
  const invalid = modes.filter((mode) => mode !== AUTH_MODES.bearer && mode !== AUTH_MODES.iam);
  if (modes.length === 0 || invalid.length > 0) {
    throw new ConfigurationError(`${INGEST_ENV.authModes} must list bearer and/or iam, got "${raw}"`);
  }
  return modes as AuthMode[];
};

/**
 * The ingest Lambda's dependencies from its environment (names in shared/config/constants.ts `ENV`
 * and shared/ingest/constants.ts `INGEST_ENV`), read once at module load. AWS endpoints follow the
 * SDK's own variables (AWS_ENDPOINT_URL_*), so local mode runs this unchanged.
 * Subscription management is wired in; `$trigger-subscription` and `$backfill-job` when
 * BACKFILL_QUEUE_URL is set.
 */
export const ingestDepsFromEnv = (env: NodeJS.ProcessEnv = process.env): IngestHandlerDeps => {
  const modes = parseAuthModes(optionalEnv(INGEST_ENV.authModes, AUTH_MODES.bearer, env));
  const tokenStore = optionalEnv(INGEST_ENV.tokenStore, 'secretsmanager', env);
  if (tokenStore !== 'secretsmanager' && tokenStore !== 'ssm') {
    throw new ConfigurationError(
      `${INGEST_ENV.tokenStore} must be secretsmanager or ssm, got "${tokenStore}"`,
    );
  }
  const logger = new Logger({ serviceName: 'ingest' });
  const metrics = new Metrics({ namespace: 'HealthLakeConnector', serviceName: 'ingest' });
  const collector = new IngestMetricsCollector();

  const {
    pipeline,
    subscriptions: store,
    cache,
    allowedEndpoints,
    tableName,
    document,
    sqs,
  } = writePipelineFromEnv(env, { logger });
  const routes: OptionalRoute[] = [];
  const backfillQueueUrl = env[ENV.backfillQueueUrl];
  if (backfillQueueUrl) {
    const deps = {
      jobs: new DynamoJobStore({ client: document, tableName }),
      subscriptions: subscriptionLookup(store),
      queue: new SqsWorkQueue({ client: sqs, queueUrl: backfillQueueUrl }),
      compileCriteria,
      logger,
    };
    routes.push((request) => handleBackfillRequest(request, deps));
  }
  const reconcileQueueUrl = env[RECONCILE_ENV.queueUrl];
  if (reconcileQueueUrl) {
    const bucket = env[ENV.payloadBucket];
    const deps: ReconcileRouteDeps = {
      jobs: new DynamoReconcileJobStore({ client: document, tableName }),
      subscriptions: subscriptionLookup(store),
      queue: new SqsWorkQueue<ReconcileMessage>({ client: sqs, queueUrl: reconcileQueueUrl }),
      compileCriteria,
      ...(bucket ? { idListLocation: (jobId: string) => idListLocation(bucket, jobId) } : {}),
      logger,
    };
    // Admin-only like the backfill routes: registered beside them.
    routes.push((request) => handleReconcileRequest(request, deps));
  }
  const route = createIngestRouter({
    pipeline,
    observer: collector,
    logger,
    limits: {
      maxBundleEntries: intEnv(
        INGEST_ENV.maxBundleEntries,
        INGEST_DEFAULTS.maxBundleEntries,
        { min: 1, max: 10_000 },
        env,
      ),
      validateResources: boolEnv(INGEST_ENV.validateResources, true, env),
    },
    subscriptionRoute: (request) =>
      handleSubscriptionRequest(request, {
        store,
        allowedEndpoints,
        logger,
        onChange: () => cache.invalidate(),
      }),
    routes,
    triggerSubscription: routes.length > 0,
    authModes: modes.map((mode) => (mode === AUTH_MODES.iam ? 'IAM (SigV4)' : 'bearer token')),
  });
  const tokenSecretId = env[ENV.ingestTokenSecretId];
  if (modes.includes(AUTH_MODES.bearer) && !tokenSecretId) {
    throw new ConfigurationError(
      `Missing required environment variable ${ENV.ingestTokenSecretId} (bearer authentication)`,
    );
  }
  const authenticator = createAuthenticator({
    modes,
    ...(tokenSecretId
      ? {
          tokenHashes: powertoolsTokenSource({
            store: tokenStore,
            name: tokenSecretId,
            maxAgeSeconds: intEnv(
              INGEST_ENV.tokenCacheSeconds,
              INGEST_DEFAULTS.tokenCacheSeconds,
              { min: 0, max: 3600 },
              env,
            ),
          }),
        }
      : {}),
  });
  const publicBaseUrl = env[ENV.publicBaseUrl];
  return {
    route,
    authenticator,
    collector,
    logger,
    metrics,
    maxBodyBytes: intEnv(
      INGEST_ENV.maxBodyBytes,
      INGEST_DEFAULTS.maxBodyBytes,
      { min: 1024, max: 10 * 1024 * 1024 },
      env,
    ),
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
  };
};
