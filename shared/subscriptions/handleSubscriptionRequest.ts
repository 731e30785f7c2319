import { randomUUID } from 'node:crypto';
import { SUBSCRIPTION_DEFAULTS } from './constants.js';
import type { Bundle, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { criteriaCompiler, MAX_SOURCE_EVALUATED_SUBSCRIPTIONS } from '../criteria/compileCriteria.js';
import type { CompiledCriteria } from '../criteria/types.js';
import { isFhirId } from '../fhir/ids.js';
import {
  badRequest,
  forbidden,
  forResponse,
  gone,
  httpStatusOf,
  issue,
  methodNotAllowed,
  notFound,
  notSupported,
  OperationOutcomeError,
  outcome,
  toOutcome,
} from '../fhir/outcomes.js';
import { FHIR_JSON, type FhirRequest, type FhirResponse } from '../http/types.js';
import { preferReturn } from '../http/preferReturn.js';
import { HEADER_DROPPED_WARNING, parseSubscription } from './parseSubscription.js';
import { STATUSES } from './parseStatus.js';
import { presentSubscription } from './presentSubscription.js';
import type { SaveCondition, StoredSubscription, SubscriptionStore } from './SubscriptionStore.js';
import type { ModuleEndpoints } from './moduleEndpoints.js';
import type { SubscriptionLogger } from './types.js';

export interface SubscriptionRouteDeps {
  readonly store: SubscriptionStore;
  /** The deployment's allow-list of data store endpoints. */
  readonly allowedEndpoints: readonly string[];
  readonly logger?: SubscriptionLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default shared/criteria compileCriteria, with `sourceEvaluation` */
  readonly compile?: (criteria: string) => CompiledCriteria;
  /**
   * A source FHIR server is configured: criteria only it can evaluate (chains, `_has`, ...) are accepted
   * and checked there by the deliverer; without one they are refused. @default false
   */
  readonly sourceEvaluation?: boolean;
  /** Server-assigned ids on POST. @default randomUUID */
  readonly newId?: () => string;
  /** Called after every change (e.g. `cache.invalidate()` when the cache lives in the same process). */
  readonly onChange?: (subscriptionId: string) => void;
  /** Data store used when a Subscription has no `channel.endpoint`. @default the first allowed endpoint */
  readonly primaryEndpoint?: string;
  /** The deployment's delivery retry limit (DELIVERY_RETRY_COUNT): larger counts get a warning. */
  readonly maxDeliveryRetryCount?: number;
  /**
   * The auto-managed Subscription's id, when `autoSubscription.enabled`: the deployment owns it, so
   * PUT and DELETE on it answer 403 (the provisioner and local mode write it through the store).
   */
  readonly deploymentOwnedId?: string;
  /** Smile HealthLake module id -> data store (healthLake.moduleEndpoints): routes by the module id. */
  readonly moduleEndpoints?: ModuleEndpoints;
  /** The transforms a Subscription may name (delivery.transforms). @default none */
  readonly transforms?: ReadonlySet<string>;
  /** Most Subscriptions that may exist; a create past it answers 422. @default SUBSCRIPTION_DEFAULTS.maxSubscriptions */
  readonly maxSubscriptions?: number;
}

/** Search parameters understood on `GET Subscription`; format ones are accepted and ignored. */
const IGNORED_SEARCH_PARAMETERS = new Set(['_format', '_pretty']);

const json = (status: number, body?: unknown, headers: Record<string, string> = {}): FhirResponse => ({
  status,
  headers: body === undefined ? headers : { 'content-type': FHIR_JSON, ...headers },
  ...(body === undefined ? {} : { body }),
});

const fail = (value: OperationOutcome): FhirResponse => json(httpStatusOf(value), forResponse(value));

const versionHeaders = (resource: StoredSubscription): Record<string, string> => ({
  etag: `W/"${resource.meta.versionId}"`,
  'last-modified': new Date(resource.meta.lastUpdated).toUTCString(),
});

/** `W/"3"` or `"3"` -> `3`; undefined when the header is absent; 400 when malformed. */
const parseIfMatch = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"([^"]+)"$/.exec(header.trim());
  if (!match?.[1]) throw new OperationOutcomeError(badRequest('If-Match must be an ETag such as W/"1"'));
  return match[1];
};

/** The criteria compiler of the deployment: source evaluation on when a source server is configured. */
const compilerOf = (deps: SubscriptionRouteDeps): ((criteria: string) => CompiledCriteria) =>
  deps.compile ?? criteriaCompiler({ sourceEvaluation: deps.sourceEvaluation === true });

/** The parse context fields every create/update shares. */
const parseOptions = (deps: SubscriptionRouteDeps) => {
  const primaryEndpoint = deps.primaryEndpoint ?? deps.allowedEndpoints[0];
  return {
    allowedEndpoints: deps.allowedEndpoints,
    now: now(deps),
    ...(primaryEndpoint === undefined ? {} : { primaryEndpoint }),
    ...(deps.maxDeliveryRetryCount === undefined
      ? {}
      : { maxDeliveryRetryCount: deps.maxDeliveryRetryCount }),
    ...(deps.moduleEndpoints === undefined ? {} : { moduleEndpoints: deps.moduleEndpoints }),
    ...(deps.transforms === undefined ? {} : { transforms: deps.transforms }),
    compile: compilerOf(deps),
  };
};

/**
 * HTTP `Warning` header text for the response's warnings (one `199` entry each; diagnostics never hold
 * resource content). The full list is in the OperationOutcome under `Prefer: return=OperationOutcome`.
 */
const warningHeader = (warnings: readonly OperationOutcomeIssue[]): Record<string, string> =>
  warnings.length === 0
    ? {}
    : {
        warning: warnings
          .map((warning) => `199 - "${(warning.diagnostics ?? warning.code).replace(/["\\]/g, "'")}"`)
          .join(', '),
      };

/**
 * The Subscription FHIR interactions, as one plain route function:
 * - `POST Subscription` -> 201 with a server-assigned id, `Location` (`.../_history/{v}`) and `ETag`;
 * - `PUT Subscription/{id}` -> 201 (created) or 200 (updated; no new version when nothing changed);
 *   honours `If-Match` (412 when the version moved on);
 * - `GET Subscription/{id}` -> 200, 404 (unknown) or 410 (deleted);
 * - `GET Subscription[?status=...]` -> searchset Bundle (`status` takes comma-separated values);
 * - `DELETE Subscription/{id}` -> 204 (also when already deleted, so retries are safe), 404 unknown.
 * `If-None-Exist` (conditional create) is refused rather than ignored.
 * `Prefer: return=minimal` drops the body of a create/update. Errors are OperationOutcomes.
 * Validation rules: see `parseSubscription`.
 *
 * @example
 * const response = await handleSubscriptionRequest(request, { store, allowedEndpoints });
 */
export const handleSubscriptionRequest = async (
  request: FhirRequest,
  deps: SubscriptionRouteDeps,
): Promise<FhirResponse> => {
  try {
    const segments = request.path.replace(/^\/+|\/+$/g, '').split('/');
    if (segments[0] !== 'Subscription' || segments.length > 2) {
      return fail(notFound(`No route for ${request.method} on this path`));
    }
    const id = segments[1];
    if (id !== undefined && !isFhirId(id)) {
      return fail(badRequest('The id in the URL is not a valid FHIR id'));
    }
    if (id === undefined) {
      if (request.method === 'POST') return await create(request, deps);
      if (request.method === 'GET') return await search(request, deps);
      return fail(methodNotAllowed(`${request.method} is not supported on Subscription`));
    }
    if (request.method === 'GET') return await read(id, deps);
    if ((request.method === 'PUT' || request.method === 'DELETE') && id === deps.deploymentOwnedId) {
      deps.logger?.warn('Change of the auto-managed Subscription refused', {
        subscriptionId: id,
        requestId: request.requestId,
      });
      return fail(
        forbidden(
          `Subscription/${id} is auto-managed and owned by the deployment: change it with the configuration options autoSubscription.criteria and autoSubscription.enabled (then deploy), not through the API`,
        ),
      );
    }
    if (request.method === 'PUT') return await update(id, request, deps);
    if (request.method === 'DELETE') return await remove(id, deps);
    return fail(methodNotAllowed(`${request.method} is not supported on Subscription/{id}`));
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      deps.logger?.error('Subscription request failed', {
        requestId: request.requestId,
        error: error instanceof Error ? error.name : typeof error,
      });
    }
    return fail(toOutcome(error));
  }
};

const now = (deps: SubscriptionRouteDeps) => (deps.now ?? (() => new Date()))();

/** The bound a create is held to (the store refuses past it with 422, atomically). */
const maxSubscriptions = (deps: SubscriptionRouteDeps): number =>
  deps.maxSubscriptions ?? SUBSCRIPTION_DEFAULTS.maxSubscriptions;

const create = async (request: FhirRequest, deps: SubscriptionRouteDeps): Promise<FhirResponse> => {
  if (request.headers['if-none-exist'] !== undefined) {
    // Ignoring it would silently create duplicates the client asked us to avoid.
    return fail(notSupported('Conditional create (If-None-Exist) is not supported; use PUT with an id'));
  }
  const id = (deps.newId ?? randomUUID)();
  const parsed = parseSubscription(request.body, { interaction: 'create', id, ...parseOptions(deps) });
  await requireSourceRoom(id, parsed.compiled, deps);
  const saved = await deps.store.save(parsed.resource, {
    condition: { kind: 'absent' },
    now: now(deps),
    maxSubscriptions: maxSubscriptions(deps),
  });
  return written(request, deps, saved.resource, 201, 'created', parsed.warnings);
};

const update = async (
  id: string,
  request: FhirRequest,
  deps: SubscriptionRouteDeps,
): Promise<FhirResponse> => {
  const ifMatch = parseIfMatch(request.headers['if-match']);
  const current = await deps.store.get(id);
  const previous =
    current?.resource && !current.deleted ? presentSubscription(current.resource, now(deps)) : undefined;
  const parsed = parseSubscription(request.body, {
    interaction: 'update',
    id,
    ...parseOptions(deps),
    ...(previous ? { previousStatus: previous.status } : {}),
  });
  await requireSourceRoom(id, parsed.compiled, deps);
  const condition: SaveCondition | undefined =
    ifMatch === undefined ? undefined : { kind: 'version', versionId: ifMatch };
  const saved = await deps.store.save(parsed.resource, {
    ...(condition ? { condition } : {}),
    now: now(deps),
    maxSubscriptions: maxSubscriptions(deps),
  });
  if (!saved.changed) return written(request, deps, saved.resource, 200, 'unchanged', parsed.warnings);
  return written(
    request,
    deps,
    saved.resource,
    saved.created ? 201 : 200,
    saved.created ? 'created' : 'updated',
    parsed.warnings,
  );
};

/**
 * 422 when `MAX_SOURCE_EVALUATED_SUBSCRIPTIONS` other active Subscriptions already have criteria the
 * source evaluates: a delivery message carries the criteria of every one a write may match.
 */
const requireSourceRoom = async (
  id: string,
  compiled: CompiledCriteria,
  deps: SubscriptionRouteDeps,
): Promise<void> => {
  if (compiled.sourceQuery === undefined) return;
  const compile = compilerOf(deps);
  const needsSource = (criteria: unknown): boolean => {
    try {
      return typeof criteria === 'string' && compile(criteria).sourceQuery !== undefined;
    } catch {
      return false;
    }
  };
  const others = (await deps.store.list()).filter(
    (stored) => stored.id !== id && stored.status === 'active' && needsSource(stored.criteria),
  ).length;
  if (others < MAX_SOURCE_EVALUATED_SUBSCRIPTIONS) return;
  throw new OperationOutcomeError(
    outcome(
      'business-rule',
      `This deployment already has ${others} active Subscriptions whose criteria the source server evaluates, the most allowed (${MAX_SOURCE_EVALUATED_SUBSCRIPTIONS})`,
      { status: 422, expression: 'Subscription.criteria' },
    ),
  );
};

const written = (
  request: FhirRequest,
  deps: SubscriptionRouteDeps,
  resource: StoredSubscription,
  status: 200 | 201,
  change: 'created' | 'updated' | 'unchanged',
  warnings: readonly OperationOutcomeIssue[] = [],
): FhirResponse => {
  deps.logger?.info(`Subscription ${change}`, {
    subscriptionId: resource.id,
    versionId: resource.meta.versionId,
    status: resource.status,
    requestId: request.requestId,
    warnings: warnings.length,
  });
  if (change !== 'unchanged') deps.onChange?.(resource.id);
  const headers = {
    ...versionHeaders(resource),
    ...warningHeader(warnings),
    ...(status === 201
      ? { location: `${request.baseUrl}/Subscription/${resource.id}/_history/${resource.meta.versionId}` }
      : {}),
  };
  const prefer = preferReturn(request);
  if (prefer === 'minimal') return json(status, undefined, headers);
  // With something the client must act on (a dropped header), and no request for the resource, answer
  // with the outcome; other warnings (defaults filled in, notes) ride in the Warning header.
  const mustKnow = warnings.includes(HEADER_DROPPED_WARNING);
  if (prefer === 'OperationOutcome' || (mustKnow && prefer !== 'representation')) {
    return json(
      status,
      {
        resourceType: 'OperationOutcome',
        issue: [
          ...warnings,
          issue('informational', `Subscription/${resource.id} ${change}`, undefined, 'information'),
        ],
      },
      headers,
    );
  }
  return json(status, presentSubscription(resource, now(deps)), headers);
};

const read = async (id: string, deps: SubscriptionRouteDeps): Promise<FhirResponse> => {
  const record = await deps.store.get(id);
  if (!record) return fail(notFound(`Subscription/${id} is not known`));
  if (record.deleted || !record.resource) return fail(gone(`Subscription/${id} was deleted`));
  return json(200, presentSubscription(record.resource, now(deps)), versionHeaders(record.resource));
};

const remove = async (id: string, deps: SubscriptionRouteDeps): Promise<FhirResponse> => {
  const result = await deps.store.delete(id, { now: now(deps) });
  if (result === 'not-found') return fail(notFound(`Subscription/${id} is not known`));
  if (result === 'deleted') {
    deps.logger?.info('Subscription deleted', { subscriptionId: id });
    deps.onChange?.(id);
  }
  return json(204);
};

const search = async (request: FhirRequest, deps: SubscriptionRouteDeps): Promise<FhirResponse> => {
  // Each repeated `status` narrows (AND); commas within one value are alternatives (OR).
  const statusFilters: Set<string>[] = [];
  for (const [name, values] of Object.entries(request.query)) {
    if (IGNORED_SEARCH_PARAMETERS.has(name)) continue;
    if (name !== 'status') {
      return fail(
        notSupported(`Search parameter ${name} is not supported on Subscription (use status)`, name),
      );
    }
    for (const value of values) {
      const codes = value.split(',').map((code) => code.trim());
      if (codes.some((code) => !STATUSES.has(code))) {
        return fail(badRequest('status must be requested, active, error or off', 'status'));
      }
      statusFilters.push(new Set(codes));
    }
  }
  const at = now(deps);
  const matches = (await deps.store.list())
    .map((resource) => presentSubscription(resource, at))
    .filter((resource) => statusFilters.every((filter) => filter.has(resource.status)));
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(request.query))
    for (const value of values) query.append(name, value);
  const queryText = query.toString();
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    link: [{ relation: 'self', url: `${request.baseUrl}/Subscription${queryText ? `?${queryText}` : ''}` }],
    entry: matches.map((resource) => ({
      fullUrl: `${request.baseUrl}/Subscription/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
  return json(200, bundle);
};
