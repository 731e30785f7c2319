import {
  evalFhirPathTyped,
  parseFhirPath,
  toTypedValue,
  type FhirPathAtom,
  type TypedValue,
} from '@medplum/core';
import { SQL_TARGET_LIMITS } from './constants.js';

/**
 * FHIRPath functions a mapping may call: the FHIRPath functions @medplum/core implements, less
 * `trace` (prints values: PHI), `resolve` (there is no server to resolve against), `matches` and
 * `replaceMatches` (a regular expression from the mapping run over resource content can backtrack)
 * and Medplum's own extensions. Checked at load: Medplum only finds an unknown function when it runs.
 */
export const ALLOWED_FHIRPATH_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'empty hasValue exists all allTrue anyTrue allFalse anyFalse subsetOf supersetOf count distinct ' +
    'isDistinct where select repeat ofType single first last tail skip take intersect exclude union ' +
    'combine iif toBoolean convertsToBoolean toInteger convertsToInteger toDate convertsToDate ' +
    'toDateTime convertsToDateTime toDecimal convertsToDecimal toQuantity convertsToQuantity toString ' +
    'convertsToString toTime convertsToTime indexOf substring startsWith endsWith contains upper lower ' +
    'replace length toChars encode decode escape unescape trim split join abs ceiling exp floor ln log ' +
    'power round sqrt truncate children descendants now timeOfDay today is not as type extension'
  ).split(' '),
);

/** FHIRPath's environment constants, plus `%resource` / `%rootResource` (the resource being mapped). */
const CONSTANTS: Readonly<Record<string, string>> = {
  '%ucum': 'http://unitsofmeasure.org',
  '%sct': 'http://snomed.info/sct',
  '%loinc': 'http://loinc.org',
};
export const ALLOWED_FHIRPATH_VARIABLES: ReadonlySet<string> = new Set([
  '%resource',
  '%rootResource',
  ...Object.keys(CONSTANTS),
]);
const CONSTANT_VALUES: Record<string, TypedValue> = Object.fromEntries(
  Object.entries(CONSTANTS).map(([name, value]) => [name, { type: 'string', value }]),
);

/** One resource as FHIRPath sees it: the input value and the variables, built once per resource. */
export interface FhirPathScope {
  readonly resource: TypedValue;
  readonly variables: Record<string, TypedValue>;
}

export const fhirPathScope = (resource: Readonly<Record<string, unknown>>): FhirPathScope => {
  const typed = toTypedValue(resource);
  return { resource: typed, variables: { ...CONSTANT_VALUES, '%resource': typed, '%rootResource': typed } };
};

/** A parsed, checked expression. */
export interface CompiledFhirPath {
  readonly expression: string;
  /** The values the expression yields on `context` (the resource, or an element of it). */
  evaluate(context: TypedValue, scope: FhirPathScope): TypedValue[];
}

/** Function names and variables an expression uses, found by walking the parsed atoms. */
const namesUsed = (atom: FhirPathAtom): { functions: Set<string>; variables: Set<string> } => {
  const functions = new Set<string>();
  const variables = new Set<string>();
  const stack: unknown[] = [atom];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const fields = node as Record<string, unknown>;
    if (typeof fields.name === 'string') {
      if (Array.isArray(fields.args)) functions.add(fields.name);
      else if (fields.name.startsWith('%')) variables.add(fields.name);
    }
    for (const [key, value] of Object.entries(fields)) {
      // A literal's value is data (a string, number or date), never an atom.
      if (key !== 'value' && value !== null && typeof value === 'object') stack.push(value);
    }
  }
  return { functions, variables };
};

/**
 * Parses and checks a FHIRPath expression once (at mapping load): returns the compiled expression, or
 * what is wrong with it.
 *
 * @example
 * const compiled = compileFhirPath("name.where(use = 'official').family.first()");
 * const scope = fhirPathScope(patient);
 * if (typeof compiled !== 'string') compiled.evaluate(scope.resource, scope); // [{ type: 'string', value: 'Chalmers' }]
 */
export const compileFhirPath = (expression: string): CompiledFhirPath | string => {
  if (expression.trim() === '') return 'is empty';
  if (expression.length > SQL_TARGET_LIMITS.expressionLength)
    return `is longer than ${SQL_TARGET_LIMITS.expressionLength} characters`;
  let atom: FhirPathAtom;
  try {
    atom = parseFhirPath(expression);
  } catch (error) {
    return `is not valid FHIRPath (${error instanceof Error ? error.message : 'parse error'})`;
  }
  const { functions, variables } = namesUsed(atom);
  const unknownFunctions = [...functions].filter((name) => !ALLOWED_FHIRPATH_FUNCTIONS.has(name)).sort();
  if (unknownFunctions.length > 0)
    return `calls ${unknownFunctions.map((name) => `${name}()`).join(', ')}, which a mapping may not use`;
  const unknownVariables = [...variables].filter((name) => !ALLOWED_FHIRPATH_VARIABLES.has(name)).sort();
  if (unknownVariables.length > 0)
    return `uses ${unknownVariables.join(', ')}; the variables available are ${[...ALLOWED_FHIRPATH_VARIABLES].join(', ')}`;
  return {
    expression,
    evaluate: (context, scope) => evalFhirPathTyped(atom, [context], scope.variables),
  };
};
