import { R4_SEARCH_PARAMETERS } from '../criteria/r4SearchParameters.generated.js';
import {
  MATCHED_RESOURCE_ID,
  MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH,
  REFUSED_RESULT_PARAMETERS,
} from './constants.js';

const RESOURCE_TYPES: ReadonlySet<string> = new Set(R4_SEARCH_PARAMETERS.resourceTypes);
/** `${name}` substitutions, to find any HAPI does not document. */
const SUBSTITUTION = /\$\{[^}]*\}/g;

/** What checking the criteria found: a problem (400) or nothing, and whether it uses the substitution. */
export interface PayloadSearchCriteriaCheck {
  /** Completes "extension {url} ..."; never quotes the value. */
  readonly problem?: string;
  readonly usesMatchedResourceId: boolean;
}

/**
 * Checks `subscription-payload-search-criteria`: a relative search URL `Type?parameters` (HAPI: "a URL
 * fragment without the base URL portion") with an R4 resource type, well-formed percent-encoding, only
 * the documented `${matched_resource_id}` substitution, and none of the result parameters that make the
 * source return partial resources (`_summary`, `_elements`, `_format`, `_contained`).
 *
 * @example
 * checkPayloadSearchCriteria('Observation?_id=${matched_resource_id}&_include=Observation:subject').problem // undefined
 */
export const checkPayloadSearchCriteria = (criteria: string): PayloadSearchCriteriaCheck => {
  const usesMatchedResourceId = criteria.includes(MATCHED_RESOURCE_ID);
  const fail = (problem: string): PayloadSearchCriteriaCheck => ({ problem, usesMatchedResourceId });
  if (criteria.length > MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH) {
    return fail(`must be at most ${MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH} characters`);
  }
  if (/\s/.test(criteria)) return fail('must not contain whitespace');
  const question = criteria.indexOf('?');
  if (question < 0) return fail('must be a relative search URL of the form Type?parameters');
  const type = criteria.slice(0, question);
  if (!RESOURCE_TYPES.has(type)) {
    return fail('must start with an R4 resource type and ? (a relative search URL, without base URL)');
  }
  if (criteria.includes('#')) return fail('must not contain a fragment (#)');
  const unknown = (criteria.match(SUBSTITUTION) ?? []).filter((found) => found !== MATCHED_RESOURCE_ID);
  if (unknown.length > 0) return fail(`may only use the substitution ${MATCHED_RESOURCE_ID}`);
  const query = criteria
    .slice(question + 1)
    .split(MATCHED_RESOURCE_ID)
    .join('x');
  for (const part of query.split('&')) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path; '' decodes to no refused name
    if (part === '') continue;
    let name: string;
    try {
      const eq = part.indexOf('=');
      // Stryker disable next-line EqualityOperator: at eq 0 the name is '' or '=value', neither refused
      name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      // Stryker disable next-line ConditionalExpression,MethodExpression: the name decoded, so decoding the whole part fails only where the value does
      if (eq >= 0) decodeURIComponent(part.slice(eq + 1));
    } catch {
      return fail('has malformed percent-encoding');
    }
    const base = name.split(':')[0] ?? name;
    if (REFUSED_RESULT_PARAMETERS.includes(base)) {
      return fail(
        `must not use ${REFUSED_RESULT_PARAMETERS.join(', ')}: partial resources would replace complete ones in HealthLake`,
      );
    }
  }
  return { usesMatchedResourceId };
};
