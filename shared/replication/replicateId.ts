import { BoundedCache } from '../cache/BoundedCache.js';
import { compileIdSelector, type IdSelector } from './checkIdSelector.js';
import { ReplicationError } from './errors.js';
import type { ReplicationSettings } from './types.js';

/** FHIR ids hold at most 64 characters. */
const MAX_FHIR_ID_LENGTH = 64;
/** Selector patterns kept compiled; more than a deployment's subscriptions ever name at once. */
export const MAX_COMPILED_SELECTORS = 64;

/**
 * Compiled once per pattern (patterns come from a handful of subscriptions), at most
 * `MAX_COMPILED_SELECTORS` of them: subscriptions changed over an instance's life do not pile up.
 */
const selectors = new BoundedCache<string, IdSelector>(MAX_COMPILED_SELECTORS);

const selectorOf = (pattern: string): IdSelector =>
  selectors.getOrCreate(pattern, () => compileIdSelector(pattern));

/** How many compiled selectors the instance holds (at most `MAX_COMPILED_SELECTORS`). */
export const compiledSelectorCount = (): number => selectors.size;

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
