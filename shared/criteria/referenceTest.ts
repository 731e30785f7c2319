import { FHIR_ID_PATTERN } from '../fhir/ids.js';
import { type ValueTest } from './elementPath.js';
import { invalidValue } from './errors.js';
import { unescapeValue } from './searchValue.js';

type Node = Record<string, unknown>;

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** `Type/id` of a reference string, with any `/_history/v` dropped. */
const withoutVersion = (reference: string): string => {
  const at = reference.indexOf('/_history/');
  return at === -1 ? reference : reference.slice(0, at);
};

/**
 * reference search on `Reference.reference`:
 * - `Type/id` matches `Type/id` and its versioned forms `Type/id/_history/v`;
 * - a bare `id` matches `T/id` for every target type T of the parameter (or only `Type` with the
 *   `:Type` modifier);
 * - an absolute URL (`https://...`, `urn:uuid:...`) matches that exact string.
 * A relative search value does not match an absolute reference: the server's own base URL is not
 * known to the connector.
 */
export const referenceTests = (
  parameter: string,
  rawValues: readonly string[],
  targets: readonly string[] | undefined,
  resourceTypes: ReadonlySet<string>,
  typeModifier: string | undefined,
): ValueTest => {
  const relative = new Set<string>();
  const absolute = new Set<string>();
  const allowed = typeModifier ? [typeModifier] : targets;
  for (const raw of rawValues) {
    const value = unescapeValue(raw);
    if (ABSOLUTE.test(value)) {
      if (typeModifier) throw invalidValue(parameter, 'a :Type modifier needs an id, not a URL');
      absolute.add(value);
      continue;
    }
    const typed = RELATIVE.exec(value);
    if (typed) {
      const type = typed[1]!;
      if (!resourceTypes.has(type))
        throw invalidValue(parameter, 'the reference names an unknown resource type');
      if (allowed && !allowed.includes(type)) {
        throw invalidValue(parameter, `the parameter cannot refer to a ${type}`);
      }
      relative.add(value);
    } else if (FHIR_ID_PATTERN.test(value)) {
      if (!allowed || allowed.length === 0) throw invalidValue(parameter, 'a bare id needs a type (Type/id)');
      for (const type of allowed) relative.add(`${type}/${value}`);
    } else {
      throw invalidValue(parameter, 'expected Type/id, an id or an absolute URL');
    }
  }
  return (value) => {
    const reference = (value as Node)['reference'];
    if (typeof reference !== 'string') return false;
    return relative.has(withoutVersion(reference)) || absolute.has(reference);
  };
};
