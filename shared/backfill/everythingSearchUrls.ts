import { selectingCriteria } from '../criteria/compileCriteria.js';
import { R4_SEARCH_PARAMETERS } from '../criteria/r4SearchParameters.generated.js';
import { badRequest, OperationOutcomeError } from '../fhir/outcomes.js';
import { MAX_SEARCH_URLS } from './constants.js';

/**
 * Types a backfill of everything under `[*]` never reads: the server's own infrastructure
 * (subscriptions, conformance and terminology definitions) rather than data.
 */
export const INFRASTRUCTURE_TYPES: ReadonlySet<string> = new Set([
  'Subscription',
  'CapabilityStatement',
  'CompartmentDefinition',
  'ConceptMap',
  'CodeSystem',
  'GraphDefinition',
  'ImplementationGuide',
  'MessageDefinition',
  'NamingSystem',
  'OperationDefinition',
  'SearchParameter',
  'StructureDefinition',
  'StructureMap',
  'TerminologyCapabilities',
  'ValueSet',
  'Bundle',
  'Binary',
]);

/** Every R4 resource type with searches, minus infrastructure types. */
export const EVERYTHING_TYPES: readonly string[] = R4_SEARCH_PARAMETERS.resourceTypes.filter(
  (type) => !INFRASTRUCTURE_TYPES.has(type),
);

/** Whether a backfill of everything under these criteria must check the source's searchable types. */
export const coversEveryType = (criteria: string): boolean => /^\[\s*\*\s*\]$/.test(criteria.trim());

/**
 * The searches that backfill everything a subscription covers, in `order` (listed types first, the rest
 * alphabetically): `[Type1,Type2]` -> one `Type?` search per type; `Type?params` -> that search, without
 * the result parameters criteria may carry (`_format`, `_count`, ...). With
 * `since`, each search adds `_lastUpdated=gt{since}`. `[*]` means every R4 type but infrastructure
 * ones (EVERYTHING_TYPES); the worker reads only those the source's CapabilityStatement can search
 * (the caller marks those streams `ifSourceSearchable`).
 *
 * @example
 * everythingSearchUrls('[Patient,Organization]', ['Organization', 'Patient']) // ['Organization?', 'Patient?']
 */
export const everythingSearchUrls = (
  criteria: string,
  order: readonly string[],
  since?: string,
): string[] => {
  const trimmed = criteria.trim();
  let searches: string[];
  if (trimmed.startsWith('[')) {
    const types = trimmed
      .slice(1, -1)
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
    const all = types.includes('*');
    if (all) types.splice(0, types.length, ...EVERYTHING_TYPES);
    const rank = (type: string) => {
      const index = order.indexOf(type);
      return index === -1 ? order.length : index;
    };
    searches = [...new Set(types)]
      .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map((type) => `${type}?`);
  } else {
    // Without result parameters (`_format=xml`, `_summary`...): they would change the answer's format or
    // return partial resources.
    const selecting = selectingCriteria(trimmed);
    searches = [selecting.includes('?') ? selecting : `${selecting}?`];
  }
  if (!trimmed.startsWith('[*') && searches.length > MAX_SEARCH_URLS) {
    throw new OperationOutcomeError(
      badRequest(
        `The criteria name more than ${MAX_SEARCH_URLS} types: give searchUrl parameters`,
        'Subscription.criteria',
      ),
    );
  }
  return since === undefined ? searches : searches.map((search) => withSince(search, since));
};

/** `search` limited to resources updated after `since` (an instant). */
export const withSince = (search: string, since: string): string =>
  `${search}${search.endsWith('?') ? '' : '&'}_lastUpdated=gt${encodeURIComponent(since)}`;
