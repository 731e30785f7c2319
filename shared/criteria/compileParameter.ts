import { hasDateValue, dateTests } from './dateTest.js';
import { type ValueTest, allOf, anyOf, compilePath } from './elementPath.js';
import { invalidValue, SourceEvaluatedParameter, unsupportedParameter } from './errors.js';
import { numberTests, quantityTests } from './numberTest.js';
import { referenceTests } from './referenceTest.js';
import type { SearchParamEntry, SearchParamType, SearchParameterTable } from './searchParameterTable.js';
import { splitEscaped } from './searchValue.js';
import { type StringModifier, stringTests } from './stringTest.js';
import { tokenTests, tokenTextTests } from './tokenTest.js';
import { type UriModifier, uriTests } from './uriTest.js';

/**
 * Result parameters a Subscription's criteria may carry and that are ignored, with a warning: they
 * shape an answer (format, layout, page size, a subset of elements) and select nothing. Smile CDR's own
 * examples carry `_format` (seed 001).
 */
export const IGNORED_RESULT_PARAMETERS: ReadonlySet<string> = new Set([
  '_format',
  '_pretty',
  '_summary',
  '_elements',
  '_count',
]);

/** Special parameters that need the source's indexes: a full-text index, or a List resource. */
const SOURCE_ONLY_PARAMETERS: ReadonlyMap<string, string> = new Map([
  ['_text', "a full-text search of the narrative needs the source's text index"],
  ['_content', "a full-text search of the content needs the source's text index"],
  ['_list', 'membership of a List is held by the List, not by the resource'],
]);

/** Token modifiers that test membership of a value set or a code system hierarchy (terminology). */
const TERMINOLOGY_MODIFIERS: ReadonlySet<string> = new Set(['in', 'not-in', 'above', 'below']);

/** Parameters that shape a result set rather than select resources: meaningless for one resource. */
const RESULT_PARAMETERS = new Set([
  '_sort',
  '_count',
  '_include',
  '_revinclude',
  '_summary',
  '_elements',
  '_contained',
  '_containedType',
  '_total',
  '_format',
  '_pretty',
  '_offset',
  '_cursor',
  '_at',
  '_since',
]);

/** Modifiers accepted per parameter type (besides `:missing`, accepted for all but composite). */
const MODIFIERS: Readonly<Record<SearchParamType, ReadonlySet<string>>> = {
  token: new Set(['not', 'text']),
  string: new Set(['exact', 'contains']),
  uri: new Set(['below', 'above']),
  reference: new Set(),
  date: new Set(),
  number: new Set(),
  quantity: new Set(),
  composite: new Set(),
  special: new Set(),
};

interface Context {
  readonly parameter: string;
  readonly resourceTypes: ReadonlySet<string>;
}

/** The per-element-type value test for one parameter type, OR over its values. */
const valueTests = (
  ctx: Context,
  type: SearchParamType,
  rawValues: readonly string[],
  modifier: string | undefined,
  targets: readonly string[] | undefined,
): ((elementType: string) => ValueTest) => {
  switch (type) {
    case 'token':
      return modifier === 'text'
        ? tokenTextTests(ctx.parameter, rawValues)
        : tokenTests(ctx.parameter, rawValues);
    case 'string':
      return stringTests(ctx.parameter, rawValues, modifier as StringModifier);
    case 'uri': {
      const test = uriTests(ctx.parameter, rawValues, modifier as UriModifier);
      return () => test;
    }
    case 'reference': {
      const test = referenceTests(ctx.parameter, rawValues, targets, ctx.resourceTypes, modifier);
      return () => test;
    }
    case 'date':
      return dateTests(ctx.parameter, rawValues);
    case 'number': {
      const test = numberTests(ctx.parameter, rawValues);
      return () => test;
    }
    case 'quantity': {
      const test = quantityTests(ctx.parameter, rawValues);
      return () => test;
    }
    default:
      throw unsupportedParameter(ctx.parameter, `${type} parameters are not supported`);
  }
};

const presence = (paramType: SearchParamType, elementType: string): ValueTest => {
  if (paramType === 'date') return hasDateValue(elementType);
  if (paramType === 'quantity' && elementType === 'SampledData') return () => false;
  return () => true;
};

const compileComposite = (ctx: Context, entry: SearchParamEntry, rawValues: readonly string[]): ValueTest => {
  const components = entry.components ?? [];
  const alternatives = rawValues.map((raw) => {
    const parts = splitEscaped(raw, '$');
    if (parts.length !== components.length) {
      throw invalidValue(ctx.parameter, `expected ${components.length} components separated by "$"`);
    }
    const tests = components.map((component, i) => {
      const factory = valueTests(ctx, component.type, [parts[i]!], undefined, component.targets);
      return anyOf(component.paths.map((path) => compilePath(path, factory(path.type))));
    });
    // All components must hold within the same element (e.g. the same Observation.component).
    return allOf(tests);
  });
  const onContext = anyOf(alternatives);
  return anyOf((entry.paths ?? []).map((path) => compilePath(path, onContext)));
};

/** Looks a parameter up for a resource type, rejecting what cannot be evaluated exactly. */
const findParameter = (table: SearchParameterTable, resourceType: string, name: string): SearchParamEntry => {
  // Chains (`.`) and `_has:` are caught by compileParameter; a bare `_has` reaches here.
  if (name === '_has') {
    throw unsupportedParameter(
      name,
      'reverse chaining (_has) needs a parameter: _has:Type:reference:parameter',
    );
  }
  const sourceOnly = SOURCE_ONLY_PARAMETERS.get(name);
  if (sourceOnly !== undefined) throw new SourceEvaluatedParameter(name, sourceOnly);
  if (RESULT_PARAMETERS.has(name)) {
    throw unsupportedParameter(
      name,
      'result parameters do not select resources and are not allowed in criteria',
    );
  }
  const entry = table.parameters[resourceType]?.[name] ?? table.parameters['Resource']?.[name];
  if (!entry) throw unsupportedParameter(name, `it is not a FHIR R4 search parameter of ${resourceType}`);
  if (entry.unsupported) {
    throw unsupportedParameter(name, `its definition cannot be evaluated exactly (${entry.unsupported})`);
  }
  return entry;
};

/**
 * Compiles one `name[:modifier]=value[,value...]` of a criteria into a test on the resource.
 * Everything is parsed here, once; the returned function only walks properties and compares.
 */
export const compileParameter = (
  table: SearchParameterTable,
  resourceTypes: ReadonlySet<string>,
  resourceType: string,
  key: string,
  rawValue: string,
): ValueTest => {
  if (key.includes('.')) {
    throw new SourceEvaluatedParameter(key, 'a chained parameter reads the resource it refers to');
  }
  if (key.startsWith('_has:')) {
    throw new SourceEvaluatedParameter(key, 'reverse chaining (_has) reads the resources that refer to it');
  }
  const colon = key.indexOf(':');
  const [name, modifier] = colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
  const entry = findParameter(table, resourceType, name);
  const ctx: Context = { parameter: name, resourceTypes };
  const paths = entry.paths ?? [];

  if (modifier === 'missing') {
    if (entry.type === 'composite') throw unsupportedParameter(name, ':missing on a composite parameter');
    if (rawValue !== 'true' && rawValue !== 'false') throw invalidValue(name, ':missing takes true or false');
    const present = anyOf(paths.map((path) => compilePath(path, presence(entry.type, path.type))));
    return rawValue === 'true' ? (resource) => !present(resource) : present;
  }
  let typeModifier: string | undefined;
  if (entry.type === 'token' && modifier !== undefined && TERMINOLOGY_MODIFIERS.has(modifier)) {
    throw new SourceEvaluatedParameter(
      `${name}:${modifier}`,
      `the :${modifier} modifier tests a value set or code system hierarchy, which the source's terminology holds`,
    );
  }
  if (modifier !== undefined && !MODIFIERS[entry.type].has(modifier)) {
    if (entry.type === 'reference' && resourceTypes.has(modifier)) {
      if (entry.targets && !entry.targets.includes(modifier)) {
        throw invalidValue(name, `the parameter cannot refer to a ${modifier}`);
      }
      typeModifier = modifier;
    } else {
      throw unsupportedParameter(
        `${name}:${modifier}`,
        `the :${modifier} modifier is not supported on ${entry.type} parameters`,
      );
    }
  }
  const rawValues = splitEscaped(rawValue, ',');
  if (entry.type === 'composite') return compileComposite(ctx, entry, rawValues);
  const factory = valueTests(ctx, entry.type, rawValues, typeModifier ?? modifier, entry.targets);
  const test = anyOf(paths.map((path) => compilePath(path, factory(path.type))));
  // :not matches resources where no value matches, including those without the element.
  return modifier === 'not' ? (resource) => !test(resource) : test;
};
