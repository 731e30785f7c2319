import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createIngestHandler } from '../lambdas/ingest/createIngestHandler.js';
import { handleBackfillRequest } from '../shared/backfill/handleBackfillRequest.js';
import type { JobStore } from '../shared/backfill/JobStore.js';
import { subscriptionLookup } from '../shared/backfill/subscriptionLookup.js';
import type { WorkQueue } from '../shared/backfill/types.js';
import { compileCriteria } from '../shared/criteria/index.js';
import { METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { createAuthenticator } from '../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../shared/ingest/createIngestRouter.js';
import { INGEST_METRICS, IngestMetricsCollector } from '../shared/ingest/IngestMetricsCollector.js';
import type { WritePipeline } from '../shared/ingest/types.js';
import type { FhirRequest } from '../shared/http/types.js';
import {
  handleReconcileRequest,
  type ReconcileRouteDeps,
} from '../shared/reconcile/handleReconcileRequest.js';
import { LOCAL_ADMIN_PREFIX } from '../shared/operator/localAdmin.js';
import type { ActiveSubscriptionCache } from '../shared/subscriptions/ActiveSubscriptionCache.js';
import { handleSubscriptionRequest } from '../shared/subscriptions/handleSubscriptionRequest.js';
import type { SubscriptionStore } from '../shared/subscriptions/SubscriptionStore.js';
import { startLocalApiGateway, type LocalApiGateway } from './apiGateway.js';
import type { LocalLogger } from './localLogger.js';
import type { LocalStats } from './LocalStats.js';
import { CountingMetrics, LocalPowertoolsLogger } from './powertoolsLocal.js';

export interface IngestApiDeps {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly pipeline: WritePipeline;
  readonly subscriptionStore: SubscriptionStore;
  readonly subscriptionCache: ActiveSubscriptionCache;
  readonly allowedEndpoints: readonly string[];
  readonly jobs: JobStore;
  readonly workQueue: WorkQueue;
  /** `$reconcile` routes (built by the caller with the same route function as the ingest Lambda). */
  readonly reconcile?: Omit<ReconcileRouteDeps, 'logger' | 'subscriptions' | 'compileCriteria'>;
  readonly logger: LocalLogger;
  readonly stats: LocalStats;
  /** What `GET /_local/{name}` answers (config, stats); undefined = 404. */
  readonly admin: (name: string) => unknown;
}

/**
 * The ingest API of local mode: the ingest Lambda handler (`createIngestHandler`, the same code as
 * in AWS) behind the API Gateway stand-in, wired with subscriptions, `$trigger-subscription` and
 * backfill job routes, and bearer authentication against the sha256 of the development token.
 * `GET /_local/config` and `/_local/stats` are answered before the handler (local mode only).
 */
export const startIngestApi = async (deps: IngestApiDeps): Promise<LocalApiGateway> => {
  const tokenHash = hashToken(deps.token);
  const collector = new IngestMetricsCollector();
  const logger = new LocalPowertoolsLogger(deps.logger, { serviceName: 'ingest' });
  const route = createIngestRouter({
    pipeline: deps.pipeline,
    observer: collector,
    logger,
    subscriptionRoute: (request) =>
      handleSubscriptionRequest(request, {
        store: deps.subscriptionStore,
        allowedEndpoints: deps.allowedEndpoints,
        logger,
        onChange: () => deps.subscriptionCache.invalidate(),
      }),
    routes: [
      (request) =>
        handleBackfillRequest(request, {
          jobs: deps.jobs,
          subscriptions: subscriptionLookup(deps.subscriptionStore),
          queue: deps.workQueue,
          compileCriteria,
          logger,
        }),
      ...(deps.reconcile
        ? [
            (request: FhirRequest) =>
              handleReconcileRequest(request, {
                ...deps.reconcile!,
                subscriptions: subscriptionLookup(deps.subscriptionStore),
                compileCriteria,
                logger,
              }),
          ]
        : []),
    ],
    triggerSubscription: true,
  });
  const handler = createIngestHandler({
    route,
    authenticator: createAuthenticator({ modes: ['bearer'], tokenHashes: async () => [tokenHash] }),
    collector,
    logger,
    metrics: new CountingMetrics({ namespace: METRICS_NAMESPACE, serviceName: 'ingest' }, (name, value) => {
      if (name === INGEST_METRICS.ingested) deps.stats.ingested += value;
      else if (name === INGEST_METRICS.rejectedRequests) deps.stats.ingestErrors += value;
    }),
  });
  const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return startLocalApiGateway({
    host: deps.host,
    port: deps.port,
    functionName: 'healthlake-connector-ingest',
    handler: async (event: APIGatewayProxyEvent, context) => {
      if (event.path.startsWith(`${LOCAL_ADMIN_PREFIX}/`) && event.httpMethod === 'GET') {
        const body = deps.admin(event.path.slice(LOCAL_ADMIN_PREFIX.length + 1));
        return body === undefined ? json(404, { message: 'Not Found' }) : json(200, body);
      }
      return handler(event, context);
    },
  });
};
