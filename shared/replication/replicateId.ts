import { compileIdSelector, type IdSelector } from './checkIdSelector.js';
import { ReplicationError } from './errors.js';
import type { ReplicationSettings } from './types.js';

/** FHIR ids hold at most 64 characters. */
const MAX_FHIR_ID_LENGTH = 64;
/** Compiled selectors kept; patterns come from a handful of subscriptions. */
const MAX_CACHED_SELECTORS = 256;

const selectors = new Map<string, IdSelector>();

/** Compiled once per pattern. */
const selectorOf = (pattern: string): IdSelector => {
  let compiled = selectors.get(pattern);
  if (!compiled) {
    compiled = compileIdSelector(pattern);
    if (selectors.size >= MAX_CACHED_SELECTORS) selectors.clear();
    selectors.set(pattern, compiled);
  }
  return compiled;
};

/**
 * The id a resource has in the target data store: `stripIdPrefix` removed (when the id starts with it
 * and keeps at least one character), then `idPrefix` added when there is no `idPrefixSelector` or the
 * selector fully matches `Type/id` (the id after stripping). The result may exceed 64 characters: the
 * caller checks it. The selector is never run on an id longer than 64 characters: such an id (a
 * reference's, say) is no FHIR id, and `ReplicationError` says so, naming `where`, never the value.
 *
 * @example
 * replicateId('Patient', '123', { idPrefix: 'CDR1-', idPrefixSelector: '[a-zA-Z]+/[0-9]+' }) // 'CDR1-123'
 * replicateId('Patient', 'abc', { idPrefix: 'CDR1-', idPrefixSelector: '[a-zA-Z]+/[0-9]+' }) // 'abc'
 */
export const replicateId = (
  resourceType: string,
  id: string,
  settings: ReplicationSettings,
  where = `${resourceType}.id`,
): string => {
  let result = id;
  const strip = settings.stripIdPrefix;
  if (strip && result.startsWith(strip) && result.length > strip.length) result = result.slice(strip.length);
  const prefix = settings.idPrefix;
  if (prefix) {
    const selector = settings.idPrefixSelector;
    if (selector !== undefined && result.length > MAX_FHIR_ID_LENGTH) {
      throw new ReplicationError(
        `${where}: the id is ${result.length} characters, so it is not a FHIR id (at most ${MAX_FHIR_ID_LENGTH}); replicate-id-prefix-selector is not run on it`,
      );
    }
    if (selector === undefined || selectorOf(selector).test(`${resourceType}/${result}`)) {
      result = `${prefix}${result}`;
    }
  }
  return result;
};

/** Whether the settings change anything at all. */
export const isReplicating = (settings: ReplicationSettings | undefined): settings is ReplicationSettings =>
  Boolean(settings && (settings.idPrefix || settings.stripIdPrefix || settings.stripReferenceBaseUrl));
