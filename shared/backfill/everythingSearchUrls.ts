import { badRequest, notSupported, OperationOutcomeError } from '../fhir/outcomes.js';
import { MAX_SEARCH_URLS } from './constants.js';

/**
 * The searches that backfill everything a subscription covers, in `order` (listed types first, the rest
 * alphabetically): `[Type1,Type2]` -> one `Type?` search per type; `Type?params` -> that search. With
 * `since`, each search adds `_lastUpdated=gt{since}`. `[*]` needs the source server's CapabilityStatement
 * to know its types, which the API does not read: it is refused with 400 naming the way out.
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
    if (types.includes('*')) {
      throw new OperationOutcomeError(
        notSupported(
          'A backfill of everything under criteria [*] is not supported yet: give searchUrl parameters (one per type)',
          'Parameters.parameter',
        ),
      );
    }
    const rank = (type: string) => {
      const index = order.indexOf(type);
      return index === -1 ? order.length : index;
    };
    searches = [...new Set(types)]
      .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map((type) => `${type}?`);
  } else {
    searches = [trimmed.includes('?') ? trimmed : `${trimmed}?`];
  }
  if (searches.length > MAX_SEARCH_URLS) {
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
