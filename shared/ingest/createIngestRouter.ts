import { isFhirId, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';
import {
  badRequest,
  forbidden,
  methodNotAllowed,
  notSupported,
  OperationOutcomeError,
  serverError,
} from '../fhir/outcomes.js';
import type { FhirRequest, FhirResponse, FhirRouteHandler } from '../http/types.js';
import { INGEST_DEFAULTS, NON_CLINICAL_TYPES } from './constants.js';
import { EnqueueError } from './errors.js';
import type { IngestLogger } from './IngestLogger.js';
import { SILENT_LOGGER } from './IngestLogger.js';
import { capabilityStatement } from './routes/capabilityStatement.js';
import { handleBundle } from './routes/handleBundle.js';
import { handleInstanceWrite } from './routes/handleInstanceWrite.js';
import type { IngestLimits, IngestObserver, IngestRouterContext } from './routes/IngestRouterContext.js';
import { NO_OBSERVER } from './routes/IngestRouterContext.js';
import { fhirJson, outcomeResponse } from './routes/responses.js';
import { declaredOperations, isScopedRoute, requiredScope, type PluggedRoute } from './routes/routeScope.js';
import { scopeAllows, TOKEN_SCOPES } from '../http/scopes.js';
import type { WritePipeline } from './types.js';
import { isKnownResourceType, knownResourceTypes } from './validateFhirResource.js';

export type { DeclaredRoute, OptionalRoute, PluggedRoute, ScopedRoute } from './routes/routeScope.js';

export interface IngestRouterOptions {
  readonly pipeline: WritePipeline;
  /** @default maxBundleEntries 1000, validateResources true, maxClockSkewSeconds 300, repeatedStaleWrites 3 */
  readonly limits?: Partial<IngestLimits>;
  /** The clock `meta.lastUpdated` is checked against. @default () => new Date() */
  readonly now?: () => Date;
  readonly observer?: IngestObserver;
  readonly logger?: IngestLogger;
  /** Subscription management (`Subscription`, `Subscription/{id}`, ...), from shared/subscriptions. */
  readonly subscriptionRoute?: FhirRouteHandler;
  /** `POST Subscription/{id}/$trigger-subscription` route, matched before `subscriptionRoute`. */
  readonly triggerSubscriptionRoute?: FhirRouteHandler;
  /** Whether `$trigger-subscription` is served (via `routes`), for the CapabilityStatement. */
  readonly triggerSubscription?: boolean;
  /**
   * Further routes tried before the built-in ones, e.g. `(r) => handleBackfillRequest(r, deps)`.
   * A plain function needs the `admin` scope; a `ScopedRoute` declares the scope of its paths.
   */
  readonly routes?: readonly PluggedRoute[];
  /** Named in the CapabilityStatement's security description. @default ['bearer token'] */
  readonly authModes?: readonly string[];
}

const READS_NOT_SERVED =
  'Reads and searches are not served by this connector: read from the source FHIR server or from Amazon HealthLake';

/**
 * The ingest API as one route function over authenticated, body-parsed FHIR requests:
 * `GET metadata`, `PUT/DELETE {type}/{id}`, `POST {type}`, `POST` (transaction/batch), Subscription
 * routes and operations when wired; reads answer 405 with an OperationOutcome.
 * Authorization fails closed: each request needs the scope `requiredScope` gives its path (the FHIR
 * data path `write`, everything else `admin`); a caller without it, or a request without a caller,
 * is answered 403 before any route runs.
 *
 * @example
 * const route = createIngestRouter({
 *   pipeline,
 *   subscriptionRoute: (request) => handleSubscriptionRequest(request, subscriptionDeps),
 *   // $trigger-subscription and $backfill-job/{id}: the backfill route answers only its own paths.
 *   routes: [(request) => handleBackfillRequest(request, backfillDeps)],
 *   triggerSubscription: true,
 * });
 * const response = await route(request);
 */
export const createIngestRouter = (options: IngestRouterOptions): FhirRouteHandler => {
  const logger = options.logger ?? SILENT_LOGGER;
  const observe = options.observer ?? NO_OBSERVER;
  const limits: IngestLimits = {
    maxBundleEntries: options.limits?.maxBundleEntries ?? INGEST_DEFAULTS.maxBundleEntries,
    validateResources: options.limits?.validateResources ?? true,
    maxClockSkewSeconds: options.limits?.maxClockSkewSeconds ?? INGEST_DEFAULTS.maxClockSkewSeconds,
    repeatedStaleWrites: options.limits?.repeatedStaleWrites ?? INGEST_DEFAULTS.repeatedStaleWrites,
  };
  const context: IngestRouterContext = {
    limits,
    observe,
    now: options.now ?? (() => new Date()),
    accept: async (request, writes) => {
      let results;
      try {
        results = await options.pipeline.accept(writes);
      } catch (error) {
        logger.error('Write not acknowledged', {
          requestId: request.requestId,
          writes: writes.length,
          error: error instanceof Error ? error.name : 'unknown',
          code: (error as { code?: unknown } | undefined)?.code,
          ...(error instanceof OperationOutcomeError ? {} : { detail: safeMessage(error) }),
        });
        if (error instanceof OperationOutcomeError) throw error;
        if (error instanceof RangeError) throw new OperationOutcomeError(tooComplex(), error);
        throw new EnqueueError('the version ledger or the delivery queue failed', error);
      }
      results.forEach((result, index) => {
        const write = writes[index];
        if (!write) return;
        if (result.status === 'conflict' || result.status === 'refused') observe.rejected();
        else observe.written(write, result);
        if (result.status === 'refused') {
          logger.warn('Write refused: implausible versionId jump', {
            requestId: request.requestId,
            resourceType: write.resourceType,
            id: write.id,
            recordedVersionId: result.versionId,
          });
        }
        if (result.status === 'stale' && (result.staleWrites ?? 0) >= limits.repeatedStaleWrites) {
          // Ids and versions only: the operator compares with $reconcile and resets with $reset-version.
          logger.warn('Resource keeps receiving stale writes: pinned by a newer recorded version?', {
            requestId: request.requestId,
            resourceType: write.resourceType,
            id: write.id,
            recordedVersionId: result.versionId,
            staleWrites: result.staleWrites,
          });
          observe.repeatedStale?.(write);
        }
        logger.debug('Write accepted', {
          resourceType: write.resourceType,
          id: write.id,
          versionId: result.versionId,
          status: result.status,
          enqueued: result.enqueued,
        });
      });
      return results;
    },
  };

  let capability: FhirResponse | undefined;
  const metadata = (request: FhirRequest): FhirResponse => {
    capability ??= fhirJson(
      200,
      capabilityStatement({
        resourceTypes: knownResourceTypes().filter((type) => !NON_CLINICAL_TYPES.has(type)),
        baseUrl: request.baseUrl,
        subscriptions: options.subscriptionRoute !== undefined,
        triggerSubscription:
          options.triggerSubscriptionRoute !== undefined || options.triggerSubscription === true,
        operations: declaredOperations(options.routes ?? []),
        authModes: options.authModes ?? ['bearer token'],
      }),
    );
    return capability;
  };

  const plugged = options.routes ?? [];
  const route = async (request: FhirRequest): Promise<FhirResponse> => {
    const path = request.path.replace(/^\/+|\/+$/g, '');
    const needed = requiredScope(path, plugged);
    if (!request.caller || !scopeAllows(request.caller.scope, needed)) {
      logger.warn('Request refused: scope', {
        requestId: request.requestId,
        principal: request.caller?.principal,
        scope: request.caller?.scope,
        needed,
        method: request.method,
      });
      observe.rejected();
      return outcomeResponse(
        forbidden(
          needed === TOKEN_SCOPES.admin
            ? 'This request needs the admin scope: a token whose entry has "scope": "admin", or an IAM caller on ingest.adminPrincipalArns. Producer (write) tokens may only send FHIR writes, transactions and batches.'
            : 'This request needs the write scope',
        ),
      );
    }
    for (const candidate of plugged) {
      const answered = isScopedRoute(candidate)
        ? candidate.path.test(path)
          ? await candidate.route(request)
          : undefined
        : typeof candidate === 'function'
          ? await candidate(request)
          : await candidate.route(request);
      if (answered) return answered;
    }
    const segments = path === '' ? [] : path.split('/');
    const [first, second, third] = segments;
    if (first === undefined) {
      if (request.method === 'POST') return handleBundle(request, context);
      return outcomeResponse(
        methodNotAllowed(`${request.method} [base] is not supported. ${READS_NOT_SERVED}`),
      );
    }
    if (first === 'metadata' && segments.length === 1) {
      return request.method === 'GET'
        ? metadata(request)
        : outcomeResponse(methodNotAllowed('Only GET is supported on [base]/metadata'));
    }
    if (first === 'Subscription') {
      if (third === '$trigger-subscription' && segments.length === 3 && options.triggerSubscriptionRoute) {
        return options.triggerSubscriptionRoute(request);
      }
      if (options.subscriptionRoute) return options.subscriptionRoute(request);
      return outcomeResponse(
        notSupported('Subscription management is not enabled on this deployment', undefined, 404),
      );
    }
    if (first.startsWith('$') || second?.startsWith('$') || third?.startsWith('$')) {
      return outcomeResponse(notSupported('This operation is not supported', undefined, 404));
    }
    if (!RESOURCE_TYPE_PATTERN.test(first) || !isKnownResourceType(first)) {
      observe.rejected();
      return outcomeResponse(notSupported('The URL does not name a FHIR R4 resource type', undefined, 404));
    }
    if (NON_CLINICAL_TYPES.has(first)) {
      return outcomeResponse(notSupported(`${first} resources are not accepted by this API`));
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      return outcomeResponse(methodNotAllowed(`${READS_NOT_SERVED}.`));
    }
    if (second !== undefined && !isFhirId(second)) {
      observe.rejected();
      return outcomeResponse(badRequest('The id in the URL is not a valid FHIR id ([A-Za-z0-9-.]{1,64})'));
    }
    const conditional = Object.keys(request.query).some((name) => !name.startsWith('_'));
    if (segments.length === 1) {
      if (request.method === 'POST') {
        if (request.headers['if-none-exist'] !== undefined) {
          observe.rejected();
          return outcomeResponse(notSupported('Conditional create (If-None-Exist) is not supported'));
        }
        return handleInstanceWrite(request, context, { resourceType: first });
      }
      if ((request.method === 'PUT' || request.method === 'DELETE') && conditional) {
        observe.rejected();
        return outcomeResponse(
          notSupported(`Conditional ${request.method === 'PUT' ? 'update' : 'delete'} is not supported`),
        );
      }
      return outcomeResponse(
        methodNotAllowed(`${request.method} [base]/${first} is not supported. ${READS_NOT_SERVED}`),
      );
    }
    if (segments.length === 2 && (request.method === 'PUT' || request.method === 'DELETE')) {
      if (request.headers['if-match'] !== undefined) {
        observe.rejected();
        return outcomeResponse(notSupported('Version-aware updates (If-Match) are not supported'));
      }
      return handleInstanceWrite(request, context, { resourceType: first, id: second as string });
    }
    return outcomeResponse(
      methodNotAllowed(`${request.method} on this path is not supported. ${READS_NOT_SERVED}`),
    );
  };

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof OperationOutcomeError) return outcomeResponse(error.outcome);
      // A stack overflow on input the depth limit let through is the input's fault, never a 5xx.
      if (error instanceof RangeError) return outcomeResponse(tooComplex());
      logger.error('Unhandled error in the ingest router', {
        requestId: request.requestId,
        error: error instanceof Error ? error.name : 'unknown',
      });
      return outcomeResponse(serverError());
    }
  };
};

const tooComplex = () =>
  badRequest('The request body is too deeply nested or too complex to process (INGEST_MAX_JSON_DEPTH)');

/** An error message only when it cannot carry resource content (AWS SDK / ledger errors). */
const safeMessage = (error: unknown): string | undefined =>
  error instanceof Error && /^(Ledger|[A-Z][A-Za-z]+Exception|TimeoutError)/.test(error.name)
    ? error.message.slice(0, 300)
    : undefined;
