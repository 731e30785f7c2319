import { compileParameter, IGNORED_RESULT_PARAMETERS } from './compileParameter.js';
import { type ValueTest } from './elementPath.js';
import { invalidCriteria, SourceEvaluatedParameter } from './errors.js';
import { R4_SEARCH_PARAMETERS } from './r4SearchParameters.generated.js';
import type { SearchParameterTable } from './searchParameterTable.js';
import type { CompiledCriteria, CompileOptions } from './types.js';
import type { FhirResource } from '../fhir/types.js';
import { MAX_SOURCE_QUERY_LENGTH } from './sourceQueryLimits.js';

export { MAX_SOURCE_EVALUATED_SUBSCRIPTIONS, MAX_SOURCE_QUERY_LENGTH } from './sourceQueryLimits.js';

/** Name of the criterion a resource of another type fails. */
const RESOURCE_TYPE = 'resourceType';

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
 * published R4 definitions. Result parameters (`_format`, `_pretty`, `_summary`, `_elements`,
 * `_count`) select nothing and are ignored (listed in `ignoredParameters`). Parameters that need more
 * than the resource (chains, `_has`, `_text`, `_content`, `_list`, token `:in`/`:not-in`/`:above`/
 * `:below`) are left to the source server with `options.sourceEvaluation` (listed in
 * `sourceParameters`, the query to run in `sourceQuery`), and refused without it. Anything else that
 * cannot be evaluated exactly (unknown parameters or modifiers, the `ap` prefix, ...) throws an
 * `OperationOutcomeError` (400) naming the parameter, rather than never matching.
 *
 * @example
 * const criteria = compileCriteria('Observation?code=http://loinc.org|1234-5&status=final');
 * criteria.matches(observation); // true or false
 */
export const compileCriteria = (
  criteria: string,
  table: SearchParameterTable = R4_SEARCH_PARAMETERS,
  options: CompileOptions = {},
): CompiledCriteria => {
  const source = criteria;
  const text = criteria.trim();
  const resourceTypes = resourceTypesOf(table);
  const list = TYPE_LIST.exec(text);
  if (list) {
    const names = list[1]!.split(',').map((name) => name.trim());
    if (names.length === 1 && names[0] === '*') {
      const any = (resource: FhirResource) => resource.resourceType !== 'Subscription';
      return {
        source,
        resourceTypes: '*',
        matches: any,
        firstFailure: (resource) => (any(resource) ? undefined : RESOURCE_TYPE),
      };
    }
    for (const name of names) {
      if (!resourceTypes.has(name)) throw invalidCriteria(`"${name}" is not a FHIR R4 resource type`);
    }
    const types: ReadonlySet<string> = new Set(names);
    return {
      source,
      resourceTypes: types,
      matches: (resource) => types.has(resource.resourceType),
      firstFailure: (resource) => (types.has(resource.resourceType) ? undefined : RESOURCE_TYPE),
    };
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
  const tests: { readonly key: string; readonly test: ValueTest }[] = [];
  const ignored: string[] = [];
  const viaSource: string[] = [];
  const selecting: string[] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals <= 0) throw invalidCriteria('each parameter must be name=value');
    const key = decode(pair.slice(0, equals));
    const value = decode(pair.slice(equals + 1));
    if (value === '') throw invalidCriteria(`parameter "${key}" has an empty value`);
    if (IGNORED_RESULT_PARAMETERS.has(key)) {
      ignored.push(key);
      continue;
    }
    selecting.push(pair);
    try {
      tests.push({ key, test: compileParameter(table, resourceTypes, resourceType, key, value) });
    } catch (error) {
      if (!(error instanceof SourceEvaluatedParameter) || options.sourceEvaluation !== true) throw error;
      viaSource.push(key);
    }
  }
  const sourceQuery = viaSource.length > 0 ? selecting.join('&') : undefined;
  if (sourceQuery !== undefined && sourceQuery.length > MAX_SOURCE_QUERY_LENGTH) {
    throw invalidCriteria(
      `criteria evaluated on the source server may be at most ${MAX_SOURCE_QUERY_LENGTH} characters`,
    );
  }
  if (sourceQuery?.includes('#')) {
    throw invalidCriteria('criteria evaluated on the source server may not contain "#" (encode it as %23)');
  }
  const types: ReadonlySet<string> = new Set([resourceType]);
  const firstFailure = (resource: FhirResource): string | undefined => {
    if (resource.resourceType !== resourceType) return RESOURCE_TYPE;
    for (const { key, test } of tests) if (!test(resource)) return key;
    return undefined;
  };
  const only = tests.length === 1 ? tests[0]!.test : undefined;
  return {
    source,
    resourceTypes: types,
    // One test (the common case) is called directly; more go through firstFailure's loop.
    matches: only
      ? (resource: FhirResource) => resource.resourceType === resourceType && only(resource)
      : (resource: FhirResource) => firstFailure(resource) === undefined,
    firstFailure,
    ...(ignored.length > 0 ? { ignoredParameters: ignored } : {}),
    ...(sourceQuery === undefined ? {} : { sourceParameters: viaSource, sourceQuery }),
  };
};

/**
 * `compileCriteria` over the R4 definitions with `options` fixed: the one compiler a function builds
 * from whether it has a source server.
 *
 * @example
 * const compile = criteriaCompiler({ sourceEvaluation: true });
 */
export const criteriaCompiler =
  (options: CompileOptions = {}): ((criteria: string) => CompiledCriteria) =>
  (criteria) =>
    compileCriteria(criteria, R4_SEARCH_PARAMETERS, options);

/**
 * The criteria without the result parameters it may carry (`_format`, `_count`, ...), for a search on
 * the source server: such a parameter would change the answer's format or paging, or return partial
 * resources. `[...]` lists and criteria without result parameters come back unchanged.
 *
 * @example
 * selectingCriteria('Observation?code=1234-5&_format=xml') // 'Observation?code=1234-5'
 */
export const selectingCriteria = (criteria: string): string => {
  const text = criteria.trim();
  const question = text.indexOf('?');
  if (text.startsWith('[') || question < 0) return criteria;
  const kept = text
    .slice(question + 1)
    .split('&')
    .filter((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return pair !== '' && !IGNORED_RESULT_PARAMETERS.has(safeDecode(name));
    });
  return `${text.slice(0, question)}?${kept.join('&')}`;
};

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
