import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createIngestHandler } from '../lambdas/ingest/createIngestHandler.js';
import { toRawRequest } from '../lambdas/ingest/toRawRequest.js';
import { handleBackfillRequest } from '../shared/backfill/handleBackfillRequest.js';
import type { JobStore } from '../shared/backfill/JobStore.js';
import { subscriptionLookup } from '../shared/backfill/subscriptionLookup.js';
import type { WorkQueue } from '../shared/backfill/types.js';
import { compileCriteria } from '../shared/criteria/index.js';
import { METRICS_NAMESPACE } from '../shared/delivery/constants.js';
import { createAuthenticator } from '../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import { TOKEN_SCOPES, type AcceptedToken } from '../shared/ingest/auth/types.js';
import { forbidden, forResponse } from '../shared/fhir/outcomes.js';
import { createIngestRouter } from '../shared/ingest/createIngestRouter.js';
import { INGEST_METRICS, IngestMetricsCollector } from '../shared/ingest/IngestMetricsCollector.js';
import type { WritePipeline } from '../shared/ingest/types.js';
import { LOCAL_ADMIN_PREFIX } from '../shared/operator/localAdmin.js';
import type { ActiveSubscriptionCache } from '../shared/subscriptions/ActiveSubscriptionCache.js';
import { handleSubscriptionRequest } from '../shared/subscriptions/handleSubscriptionRequest.js';
import type { SubscriptionStore } from '../shared/subscriptions/SubscriptionStore.js';
import { handleResetVersion } from '../shared/versions/handleResetVersion.js';
import type { VersionStateReset } from '../shared/versions/VersionStateReset.js';
import { startLocalApiGateway, type LocalApiGateway } from './apiGateway.js';
import type { LocalLogger } from './localLogger.js';
import type { LocalStats } from './LocalStats.js';
import { CountingMetrics, LocalPowertoolsLogger } from './powertoolsLocal.js';

export interface IngestApiDeps {
  readonly host: string;
  readonly port: number;
  /** The development token: admin scope (Subscriptions, backfill, `/_local/*`, and writes). */
  readonly token: string;
  /** A producer token: write scope only. */
  readonly writeToken?: string;
  /** The auto-managed Subscription, owned by local mode's configuration (PUT/DELETE answer 403). */
  readonly autoSubscriptionId?: string;
  readonly pipeline: WritePipeline;
  readonly subscriptionStore: SubscriptionStore;
  readonly subscriptionCache: ActiveSubscriptionCache;
  readonly allowedEndpoints: readonly string[];
  readonly jobs: JobStore;
  readonly workQueue: WorkQueue;
  /** Clears version state for `$reset-version`. */
  readonly versionReset: VersionStateReset;
  readonly logger: LocalLogger;
  readonly stats: LocalStats;
  /** What `GET /_local/{name}` answers (config, stats); undefined = 404. */
  readonly admin: (name: string) => unknown;
}

/**
 * The ingest API of local mode: the ingest Lambda handler (`createIngestHandler`, the same code as
 * in AWS) behind the API Gateway stand-in, wired with subscriptions, `$trigger-subscription` and
 * backfill job routes, and bearer authentication against the sha256 of the development tokens
 * (`token` admin, `writeToken` write). `GET /_local/config` and `/_local/stats` (local mode only)
 * need the admin token too: the config view holds the stand-ins' credentials.
 */
export const startIngestApi = async (deps: IngestApiDeps): Promise<LocalApiGateway> => {
  const tokens: AcceptedToken[] = [
    { sha256: hashToken(deps.token), scope: TOKEN_SCOPES.admin, name: 'local-admin' },
    ...(deps.writeToken
      ? [{ sha256: hashToken(deps.writeToken), scope: TOKEN_SCOPES.write, name: 'local-write' }]
      : []),
  ];
  const authenticator = createAuthenticator({ modes: ['bearer'], tokens: async () => tokens });
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
        ...(deps.autoSubscriptionId ? { deploymentOwnedId: deps.autoSubscriptionId } : {}),
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
      (request) => handleResetVersion(request, { reset: deps.versionReset, logger }),
    ],
    triggerSubscription: true,
  });
  const handler = createIngestHandler({
    route,
    authenticator,
    collector,
    logger,
    metrics: new CountingMetrics({ namespace: METRICS_NAMESPACE, serviceName: 'ingest' }, (name, value) => {
      if (name === INGEST_METRICS.ingested) deps.stats.ingested += value;
      else if (name === INGEST_METRICS.rejectedRequests) deps.stats.ingestErrors += value;
      else if (name === INGEST_METRICS.writesUnmatched) deps.stats.writesUnmatched += value;
    }),
  });
  const json = (
    statusCode: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): APIGatewayProxyResult => ({
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return startLocalApiGateway({
    host: deps.host,
    port: deps.port,
    functionName: 'healthlake-connector-ingest',
    handler: async (event: APIGatewayProxyEvent, context) => {
      if (event.path.startsWith(`${LOCAL_ADMIN_PREFIX}/`) && event.httpMethod === 'GET') {
        const auth = await authenticator.authenticate({ headers: toRawRequest(event).headers });
        if (!auth.ok) {
          return json(
            401,
            forResponse(auth.outcome),
            auth.challenge ? { 'www-authenticate': auth.challenge } : {},
          );
        }
        if (auth.scope !== TOKEN_SCOPES.admin) {
          return json(
            403,
            forResponse(forbidden(`${LOCAL_ADMIN_PREFIX}/* needs the admin (development) token`)),
          );
        }
        const body = deps.admin(event.path.slice(LOCAL_ADMIN_PREFIX.length + 1));
        return body === undefined ? json(404, { message: 'Not Found' }) : json(200, body);
      }
      return handler(event, context);
    },
  });
};
