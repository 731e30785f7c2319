import { describe, expect, it } from 'vitest';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { LOINC, makeObservation, makePatient, without } from '../../helpers/criteriaResources.js';

const obs = makeObservation();
const patient = makePatient();
const valueSet = (url: unknown): FhirResource => ({
  resourceType: 'ValueSet',
  id: 'vs1',
  status: 'active',
  url,
});
const COLORS = 'http://example.org/fhir/ValueSet/colors';

type Case = readonly [label: string, resource: FhirResource, criteria: string, expected: boolean];

const token: readonly Case[] = [
  [
    '|code does not match another code without system',
    makeObservation({ code: { coding: [{ code: 'x2' }] } }),
    'Observation?code=|x1',
    false,
  ],
  ['system| does not match another system', obs, 'Observation?code=http://snomed.info/sct|', false],
  [
    'a CodeableConcept without codings',
    makeObservation({ code: { text: 'Glucose' } }),
    'Observation?code=1234-5',
    false,
  ],
  [
    'a null coding is skipped',
    makeObservation({ code: { coding: [null, { system: LOINC, code: '1234-5' }] } }),
    'Observation?code=1234-5',
    true,
  ],
  ['OR on a primitive code', obs, 'Observation?status=preliminary,final', true],
  ['OR on a primitive code, none matching', obs, 'Observation?status=preliminary,amended', false],
  ['OR on a boolean', patient, 'Patient?active=false,true', true],
  ['OR on a ContactPoint', patient, 'Patient?email=a@example.org,someone@example.org', true],
  ['OR on an Identifier', obs, 'Observation?identifier=X-9,A-1', true],
  ['OR on a Coding', obs, 'Observation?_security=V,R', true],
  [
    ':text on a CodeableConcept without text reads its displays',
    makeObservation({ code: { coding: [{ display: 'Glucose' }] } }),
    'Observation?code:text=gluc',
    true,
  ],
  [
    ':text on any coding display',
    makeObservation({ code: { coding: [null, { display: 'Sugar' }, { display: 'Glucose' }] } }),
    'Observation?code:text=gluc',
    true,
  ],
  [
    ':text on an Identifier without type',
    makeObservation({ identifier: [{ value: 'A-1' }] }),
    'Observation?identifier:text=lab',
    false,
  ],
  [
    ':text on a Coding display',
    makeObservation({ meta: { tag: [{ code: 'synthetic', display: 'Synthetic data' }] } }),
    'Observation?_tag:text=synth',
    true,
  ],
  [
    ':text on a Coding without display',
    makeObservation({ meta: { tag: [{ code: 'synthetic' }] } }),
    'Observation?_tag:text=synth',
    false,
  ],
  [':text OR', obs, 'Observation?code:text=sugar,blood', true],
];

const string: readonly Case[] = [
  ['OR: any value may start the string', patient, 'Patient?family=xyz,zo', true],
  [':contains OR', patient, 'Patient?family:contains=xyz,oe', true],
  [':exact OR', patient, 'Patient?family:exact=Zoe,Zoë', true],
  [
    'any of several given names',
    makePatient({ name: [{ given: ['Anne', 'Marie'] }] }),
    'Patient?given=mar',
    true,
  ],
  [
    'any line of an Address',
    makePatient({ address: [{ line: ['Flat 2', '1 Main Street'] }] }),
    'Patient?address=1 main',
    true,
  ],
];

const uri: readonly Case[] = [
  ['exact is not a match on a prefix of the value', valueSet(COLORS), `ValueSet?url=${COLORS}/v2`, false],
  ['exact OR', valueSet(COLORS), `ValueSet?url=http://other,${COLORS}`, true],
  [':below OR', valueSet(COLORS), 'ValueSet?url:below=http://other,http://example.org', true],
  [':below on a value that is not a string', valueSet(42), 'ValueSet?url:below=4', false],
  [':above OR', valueSet(COLORS), `ValueSet?url:above=http://other/x,${COLORS}/v2`, true],
  [':above, no match', valueSet(COLORS), 'ValueSet?url:above=http://example.org', false],
  [':above on an empty value', valueSet(''), 'ValueSet?url:above=http://example.org', false],
  [':above on a value that is not a string', valueSet(5), 'ValueSet?url:above=5x', false],
];

const reference: readonly Case[] = [
  [
    'a Reference without reference',
    makeObservation({ subject: { display: 'Zoë' } }),
    'Observation?subject=Patient/p1',
    false,
  ],
  [
    'a Reference that is not an object',
    makeObservation({ subject: 'Patient/p1' }),
    'Observation?patient=p1',
    false,
  ],
  [
    'where(resolve() is Patient) reads an absolute reference',
    makeObservation({ subject: { reference: 'https://example.org/fhir/Patient/p9' } }),
    'Observation?patient=https://example.org/fhir/Patient/p9',
    true,
  ],
  [
    'where(resolve() is Patient) skips an absolute Group reference',
    makeObservation({ subject: { reference: 'https://example.org/fhir/Group/g1' } }),
    'Observation?patient=https://example.org/fhir/Group/g1',
    false,
  ],
  [
    'where(resolve() is Patient) reads Reference.type of a urn:uuid reference',
    makeObservation({
      subject: { reference: 'urn:uuid:9d6e2c1a-0000-4000-8000-000000000001', type: 'Patient' },
    }),
    'Observation?patient=urn:uuid:9d6e2c1a-0000-4000-8000-000000000001',
    true,
  ],
  [
    'a urn:uuid reference without type is of no known type',
    makeObservation({ subject: { reference: 'urn:uuid:9d6e2c1a-0000-4000-8000-000000000001' } }),
    'Observation?patient=urn:uuid:9d6e2c1a-0000-4000-8000-000000000001',
    false,
  ],
  ['reference OR', obs, 'Observation?subject=Patient/p9,Patient/p1', true],
];

const paths: readonly Case[] = [
  [
    'a where() step on a missing element',
    without(patient, 'telecom'),
    'Patient?email=someone@example.org',
    false,
  ],
  [
    'a where() step on a single element (not a list)',
    makePatient({ telecom: { system: 'email', value: 'someone@example.org' } }),
    'Patient?email=someone@example.org',
    true,
  ],
  [
    'a where() step skips null items',
    makePatient({ telecom: [null, { system: 'email', value: 'someone@example.org' }] }),
    'Patient?email=someone@example.org',
    true,
  ],
  ['a null element', makeObservation({ code: null }), 'Observation?code=1234-5', false],
  [
    'null items of a list are skipped',
    makeObservation({ performer: [null, { reference: 'Organization/org1' }] }),
    'Observation?performer=Organization/org1',
    true,
  ],
  [
    'the last of several alternatives (effectiveInstant)',
    makeObservation({ effectiveDateTime: undefined, effectiveInstant: '2020-03-05T10:00:00Z' }),
    'Observation?date=2020',
    true,
  ],
  ['three parameters are ANDed', obs, 'Observation?status=final&code=1234-5&subject=Patient/p1', true],
  [
    'three parameters, the last failing',
    obs,
    'Observation?status=final&code=1234-5&subject=Patient/p2',
    false,
  ],
];

describe.each([
  ['token', token],
  ['string', string],
  ['uri', uri],
  ['reference', reference],
  ['element paths', paths],
])('Matching: %s', (_kind, cases) => {
  it.each(cases)('%s (%#)', (_label, resource, criteria, expected) => {
    expect(compileCriteria(criteria).matches(resource)).toBe(expected);
  });
});
