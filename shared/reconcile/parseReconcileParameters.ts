import { OperationOutcomeError, badRequest, payloadTooLarge } from '../fhir/outcomes.js';
import { RESOURCE_TYPE_PATTERN, isFhirId, resourceKey } from '../fhir/ids.js';
import { MAX_RECONCILE_IDS, MAX_RECONCILE_SEARCHES } from './constants.js';
import type { ReconcileMode, ReconcileScope } from './types.js';
import { RECONCILE_MODES } from './types.js';

/** Validated input of `$reconcile`. */
export interface ReconcileInput {
  readonly subscriptionId: string;
  readonly mode: ReconcileMode;
  readonly contentHash: boolean;
  readonly scope: ReconcileScope;
  readonly pruneConfirmation?: number;
  readonly compareJobId?: string;
}

interface RawParameter {
  name?: unknown;
  valueString?: unknown;
  valueCode?: unknown;
  valueUri?: unknown;
  valueUrl?: unknown;
  valueId?: unknown;
  valueBoolean?: unknown;
  valueInteger?: unknown;
  valueUnsignedInt?: unknown;
  valueInstant?: unknown;
  valueDateTime?: unknown;
  valueReference?: { reference?: unknown };
}

const SEARCH_URL = new RegExp(`^(${RESOURCE_TYPE_PATTERN.source.slice(1, -1)})\\?(.*)$`, 's');
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
const MODES = new Set<string>(Object.values(RECONCILE_MODES));

const fail = (diagnostics: string, expression: string): never => {
  throw new OperationOutcomeError(badRequest(diagnostics, expression));
};

const text = (raw: RawParameter): string | undefined => {
  const value =
    raw.valueString ??
    raw.valueCode ??
    raw.valueUri ??
    raw.valueUrl ??
    raw.valueId ??
    raw.valueReference?.reference;
  return typeof value === 'string' ? value.trim() : undefined;
};

/**
 * Parses the `Parameters` body of `$reconcile`:
 * - `subscription` (1..1): `Subscription/{id}` or the id;
 * - `mode` (0..1): `compare` (default), `repair` or `repair-and-prune`;
 * - `resourceType` (0..*, in order), `searchUrl` (0..*, `Type?params`), `resourceId` (0..*, `Type/id`;
 *   not with the other two);
 * - `since` / `until` (0..1 each): the `_lastUpdated` window (`ge since`, `lt until`);
 * - `contentHash` (0..1 boolean): compare content too;
 * - `pruneConfirmation` (integer) and `compareJob` (id): required by `repair-and-prune`.
 * Throws an OperationOutcomeError naming the offending parameter, never echoing its value.
 */
export const parseReconcileParameters = (body: unknown): ReconcileInput => {
  if (
    typeof body !== 'object' ||
    body === null ||
    (body as { resourceType?: unknown }).resourceType !== 'Parameters'
  ) {
    fail('Body must be a Parameters resource', 'Parameters');
  }
  const parameters = (body as { parameter?: unknown }).parameter ?? [];
  if (!Array.isArray(parameters)) fail('Parameters.parameter must be an array', 'Parameters.parameter');
  let subscriptionId: string | undefined;
  let mode = 'compare' as ReconcileMode;
  let contentHash = false;
  let since: string | undefined;
  let until: string | undefined;
  let pruneConfirmation: number | undefined;
  let compareJobId: string | undefined;
  const resourceTypes: string[] = [];
  const resourceIds = new Set<string>();
  const searchUrls: string[] = [];
  const seen = new Set<string>();
  (parameters as RawParameter[]).forEach((raw, index) => {
    const where = `Parameters.parameter[${index}]`;
    const name = typeof raw?.name === 'string' ? raw.name : '';
    const value = raw ? text(raw) : undefined;
    const single = () => {
      if (seen.has(name)) fail(`${name} may be given once`, `${where}.name`);
      seen.add(name);
    };
    switch (name) {
      case 'subscription': {
        single();
        const id = value?.replace(/^Subscription\//, '');
        if (!isFhirId(id)) fail('subscription must be Subscription/{id} or an id', `${where}.value`);
        subscriptionId = id;
        break;
      }
      case 'mode':
        single();
        if (!value || !MODES.has(value))
          fail('mode must be compare, repair or repair-and-prune', `${where}.value`);
        mode = value as ReconcileMode;
        break;
      case 'resourceType':
        if (!value || !RESOURCE_TYPE_PATTERN.test(value))
          fail('resourceType must be a resource type name', `${where}.value`);
        if (!resourceTypes.includes(value as string)) resourceTypes.push(value as string);
        break;
      case 'resourceId': {
        const [type, id, ...rest] = value?.split('/') ?? [];
        if (rest.length > 0 || !type || !RESOURCE_TYPE_PATTERN.test(type) || !isFhirId(id))
          fail('resourceId must be a relative reference Type/id', `${where}.value`);
        resourceIds.add(resourceKey(type as string, id as string));
        break;
      }
      case 'searchUrl': {
        const url = value?.replace(/^\/+/, '');
        if (!url || !SEARCH_URL.test(url) || /[\s#]/.test(url))
          fail('searchUrl must be a search Type?params (e.g. Observation?date=ge2020)', `${where}.value`);
        searchUrls.push(url as string);
        break;
      }
      case 'since':
      case 'until': {
        single();
        const instant = raw.valueInstant ?? raw.valueDateTime ?? raw.valueString;
        if (typeof instant !== 'string' || !DATE_TIME.test(instant) || Number.isNaN(Date.parse(instant)))
          fail(`${name} must be a dateTime`, `${where}.value`);
        if (name === 'since') since = instant as string;
        else until = instant as string;
        break;
      }
      case 'contentHash':
        single();
        if (typeof raw.valueBoolean !== 'boolean')
          fail('contentHash must be a boolean', `${where}.valueBoolean`);
        contentHash = raw.valueBoolean as boolean;
        break;
      case 'pruneConfirmation': {
        single();
        const count = raw.valueUnsignedInt ?? raw.valueInteger;
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
          fail('pruneConfirmation must be a non-negative integer', `${where}.value`);
        pruneConfirmation = count as number;
        break;
      }
      case 'compareJob':
        single();
        if (!isFhirId(value)) fail('compareJob must be the id of a compare job', `${where}.value`);
        compareJobId = value;
        break;
      default:
        fail(
          'Unknown parameter: subscription, mode, resourceType, resourceId, searchUrl, since, until, contentHash, pruneConfirmation and compareJob are supported',
          `${where}.name`,
        );
    }
  });
  if (!subscriptionId) fail('The subscription parameter is required', 'Parameters.parameter');
  if (resourceIds.size > 0 && (resourceTypes.length > 0 || searchUrls.length > 0))
    fail('resourceId cannot be combined with resourceType or searchUrl', 'Parameters.parameter');
  if (resourceIds.size > MAX_RECONCILE_IDS)
    throw new OperationOutcomeError(
      payloadTooLarge(`At most ${MAX_RECONCILE_IDS} resourceId parameters per request`),
    );
  if (resourceTypes.length + searchUrls.length > MAX_RECONCILE_SEARCHES)
    throw new OperationOutcomeError(
      payloadTooLarge(`At most ${MAX_RECONCILE_SEARCHES} resourceType and searchUrl parameters per request`),
    );
  if (since && until && Date.parse(since) >= Date.parse(until))
    fail('since must be before until', 'Parameters.parameter');
  if (mode === 'repair-and-prune' && (pruneConfirmation === undefined || compareJobId === undefined))
    fail(
      'repair-and-prune requires pruneConfirmation (the only-in-HealthLake count a compare reported) and compareJob (that compare)',
      'Parameters.parameter',
    );
  if (mode !== 'repair-and-prune' && (pruneConfirmation !== undefined || compareJobId !== undefined))
    fail('pruneConfirmation and compareJob apply to repair-and-prune only', 'Parameters.parameter');
  return {
    subscriptionId: subscriptionId as string,
    mode,
    contentHash,
    scope: {
      resourceTypes,
      resourceIds: [...resourceIds],
      searchUrls,
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    },
    ...(pruneConfirmation === undefined ? {} : { pruneConfirmation }),
    ...(compareJobId === undefined ? {} : { compareJobId }),
  };
};
