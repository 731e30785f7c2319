import { compileParameter } from './compileParameter.js';
import { type ValueTest, allOf } from './elementPath.js';
import { invalidCriteria } from './errors.js';
import { R4_SEARCH_PARAMETERS } from './r4SearchParameters.generated.js';
import type { SearchParameterTable } from './searchParameterTable.js';
import type { CompiledCriteria } from './types.js';
import type { FhirResource } from '../fhir/types.js';

const TYPE_LIST = /^\[(.*)\]$/s;

const resourceTypeSets = new WeakMap<SearchParameterTable, ReadonlySet<string>>();
const resourceTypesOf = (table: SearchParameterTable): ReadonlySet<string> => {
  let set = resourceTypeSets.get(table);
  if (!set) {
    set = new Set(table.resourceTypes);
    // Stryker disable next-line all: a cache; without it the same set is built again
    resourceTypeSets.set(table, set);
  }
  return set;
};

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidCriteria('malformed percent-encoding');
  }
};

/**
 * Compiles a Subscription criteria once into a matcher that evaluates with no parsing.
 *
 * Forms: `[*]` (every type except Subscription), `[Patient,Observation]`, `Type` / `Type?` (every
 * resource of the type) and `Type?params`: `&` joins parameters (AND, a repeated parameter is
 * ANDed too), `,` separates a parameter's values (OR). Parameters and their FHIRPath come from the
 * published R4 definitions. Anything that cannot be evaluated exactly (chains, `_has`, unknown
 * parameters or modifiers, the `ap` prefix, ...) throws an `OperationOutcomeError` (400) naming the
 * parameter, rather than never matching.
 *
 * @example
 * const criteria = compileCriteria('Observation?code=http://loinc.org|1234-5&status=final');
 * criteria.matches(observation); // true or false
 */
export const compileCriteria = (
  criteria: string,
  table: SearchParameterTable = R4_SEARCH_PARAMETERS,
): CompiledCriteria => {
  const source = criteria;
  const text = criteria.trim();
  const resourceTypes = resourceTypesOf(table);
  const list = TYPE_LIST.exec(text);
  if (list) {
    const names = list[1]!.split(',').map((name) => name.trim());
    if (names.length === 1 && names[0] === '*') {
      return { source, resourceTypes: '*', matches: (resource) => resource.resourceType !== 'Subscription' };
    }
    for (const name of names) {
      if (!resourceTypes.has(name)) throw invalidCriteria(`"${name}" is not a FHIR R4 resource type`);
    }
    const types: ReadonlySet<string> = new Set(names);
    return { source, resourceTypes: types, matches: (resource) => types.has(resource.resourceType) };
  }

  const question = text.indexOf('?');
  const resourceType = question < 0 ? text : text.slice(0, question);
  if (!resourceTypes.has(resourceType)) {
    throw invalidCriteria(
      resourceType === ''
        ? 'a resource type is required'
        : `"${resourceType}" is not a FHIR R4 resource type`,
    );
  }
  const query = text.slice(resourceType.length + 1);
  const tests: ValueTest[] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals <= 0) throw invalidCriteria('each parameter must be name=value');
    const key = decode(pair.slice(0, equals));
    const value = decode(pair.slice(equals + 1));
    if (value === '') throw invalidCriteria(`parameter "${key}" has an empty value`);
    tests.push(compileParameter(table, resourceTypes, resourceType, key, value));
  }
  const types: ReadonlySet<string> = new Set([resourceType]);
  const all = allOf(tests);
  return {
    source,
    resourceTypes: types,
    matches: (resource: FhirResource) => resource.resourceType === resourceType && all(resource),
  };
};
