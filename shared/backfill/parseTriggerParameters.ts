import { OperationOutcomeError, badRequest, payloadTooLarge } from '../fhir/outcomes.js';
import { RESOURCE_TYPE_PATTERN, isFhirId, resourceKey } from '../fhir/ids.js';
import { MAX_RESOURCE_IDS, MAX_SEARCH_URLS } from './constants.js';

/** Validated input of `$trigger-subscription`. */
export interface TriggerInput {
  /** `Type/id` keys, de-duplicated, in the order given. */
  readonly resourceIds: readonly string[];
  /** `Type?params`, relative to the source FHIR base, in the order given. */
  readonly searchUrls: readonly string[];
  /** `_since`: only resources updated after this instant. */
  readonly since?: string;
}

/** FHIR `instant`: a full date-time with seconds and a zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

interface ParametersParameter {
  name?: unknown;
  valueInstant?: unknown;
  valueDateTime?: unknown;
  valueUri?: unknown;
  valueString?: unknown;
  valueUrl?: unknown;
  valueReference?: { reference?: unknown };
}

// RESOURCE_TYPE_PATTERN without its `^`/`$` anchors, followed by `?params`.
const SEARCH_URL = new RegExp(`^(${RESOURCE_TYPE_PATTERN.source.slice(1, -1)})\\?(.*)$`, 's');

/** The resource type a validated search URL targets. */
export const searchUrlType = (searchUrl: string): string => searchUrl.slice(0, searchUrl.indexOf('?'));

/**
 * Parses the `Parameters` body of `$trigger-subscription` (HAPI FHIR's input): `resourceId` (0..*,
 * `Type/id` as valueUri, valueString or valueReference) and `searchUrl` (0..*, valueString or
 * valueUri, `Type?params` relative to the source server), and `_since` (0..1, an instant). Neither
 * resourceId nor searchUrl means "everything the subscription covers" (the caller expands it), and so
 * does a POST without a body, as Smile CDR's HealthLake guide (seed 004) sends it. Throws an
 * OperationOutcomeError (400, or 413 above the limits) naming the offending parameter, never echoing
 * its value.
 *
 * @example
 * parseTriggerParameters({ resourceType: 'Parameters', parameter: [{ name: 'searchUrl', valueString: 'Observation?date=ge2020' }] })
 */
export const parseTriggerParameters = (body: unknown): TriggerInput => {
  // No body at all (not an empty or malformed one): trigger everything.
  if (body === undefined) return { resourceIds: [], searchUrls: [] };
  if (
    typeof body !== 'object' ||
    body === null ||
    (body as { resourceType?: unknown }).resourceType !== 'Parameters'
  ) {
    throw new OperationOutcomeError(badRequest('Body must be a Parameters resource', 'Parameters'));
  }
  const parameters = (body as { parameter?: unknown }).parameter ?? [];
  if (!Array.isArray(parameters)) {
    throw new OperationOutcomeError(
      badRequest('Parameters.parameter must be an array', 'Parameters.parameter'),
    );
  }
  const resourceIds = new Set<string>();
  const searchUrls: string[] = [];
  let since: string | undefined;
  parameters.forEach((raw: ParametersParameter, index) => {
    const where = `Parameters.parameter[${index}]`;
    const value = raw?.valueUri ?? raw?.valueString ?? raw?.valueUrl ?? raw?.valueReference?.reference;
    if (raw?.name === 'resourceId') {
      const text = typeof value === 'string' ? value.trim() : undefined;
      const [type, id, ...rest] = text?.split('/') ?? [];
      if (!text || rest.length > 0 || !type || !RESOURCE_TYPE_PATTERN.test(type) || !isFhirId(id)) {
        throw new OperationOutcomeError(
          badRequest(`resourceId must be a relative reference Type/id`, `${where}.value`),
        );
      }
      resourceIds.add(resourceKey(type, id));
    } else if (raw?.name === 'searchUrl') {
      const text = typeof value === 'string' ? value.trim().replace(/^\/+/, '') : undefined;
      if (!text || !text.includes('?')) {
        throw new OperationOutcomeError(badRequest('searchUrl must contain "?"', `${where}.value`));
      }
      if (!SEARCH_URL.test(text) || /[\s#]/.test(text)) {
        throw new OperationOutcomeError(
          badRequest(
            'searchUrl must be a search relative to the source server, Type?params (e.g. Observation?date=ge2020)',
            `${where}.value`,
          ),
        );
      }
      searchUrls.push(text);
    } else if (raw?.name === '_since') {
      const text = raw.valueInstant ?? raw.valueDateTime ?? raw.valueString;
      if (
        since !== undefined ||
        typeof text !== 'string' ||
        !INSTANT.test(text) ||
        Number.isNaN(Date.parse(text))
      ) {
        throw new OperationOutcomeError(
          badRequest('_since must be given once, as an instant (date, time and zone)', `${where}.value`),
        );
      }
      since = text;
    } else {
      throw new OperationOutcomeError(
        badRequest('Unknown parameter: only resourceId, searchUrl and _since are supported', `${where}.name`),
      );
    }
  });
  if (resourceIds.size > MAX_RESOURCE_IDS) {
    throw new OperationOutcomeError(
      payloadTooLarge(`At most ${MAX_RESOURCE_IDS} resourceId parameters per request; use a searchUrl`),
    );
  }
  if (searchUrls.length > MAX_SEARCH_URLS) {
    throw new OperationOutcomeError(
      payloadTooLarge(`At most ${MAX_SEARCH_URLS} searchUrl parameters per request`),
    );
  }
  return { resourceIds: [...resourceIds], searchUrls, ...(since === undefined ? {} : { since }) };
};
