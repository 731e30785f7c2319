import { describe, expect, it } from 'vitest';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { LOINC, makeObservation, makePatient, without } from '../../helpers/criteriaResources.js';

const obs = makeObservation();
const patient = makePatient();
const noCode = without(obs, 'code');
const noSubject = without(obs, 'subject');
const effectivePeriod = (start?: string, end?: string): FhirResource =>
  makeObservation({
    effectiveDateTime: undefined,
    effectivePeriod: { ...(start ? { start } : {}), ...(end ? { end } : {}) },
  });
const march = effectivePeriod('2020-03-01', '2020-03-31');
const openEnded = effectivePeriod('2020-03-01T00:00:00Z');
const riskAssessment: FhirResource = {
  resourceType: 'RiskAssessment',
  id: 'r1',
  status: 'final',
  subject: { reference: 'Patient/p1' },
  prediction: [{ probabilityDecimal: 0.25 }, { probabilityDecimal: 0.8 }],
};
const carePlan: FhirResource = {
  resourceType: 'CarePlan',
  id: 'c1',
  status: 'active',
  intent: 'plan',
  subject: { reference: 'Patient/p1' },
  activity: [
    { detail: { status: 'scheduled', scheduledTiming: { event: ['2021-01-01', '2021-01-10T12:00:00Z'] } } },
  ],
};
const valueSet: FhirResource = {
  resourceType: 'ValueSet',
  id: 'vs1',
  status: 'active',
  url: 'http://example.org/fhir/ValueSet/colors',
};
const immunization: FhirResource = {
  resourceType: 'Immunization',
  id: 'i1',
  status: 'completed',
  vaccineCode: { text: 'flu' },
  patient: { reference: 'Patient/p1' },
  occurrenceString: 'last autumn',
};
const stringValued = makeObservation({ valueQuantity: undefined, valueString: 'Positive' });
const sampled = makeObservation({
  valueQuantity: undefined,
  valueSampledData: { origin: { value: 100 }, period: 1, dimensions: 1 },
});

type Case = readonly [label: string, resource: FhirResource, criteria: string, expected: boolean];

const cases: readonly Case[] = [
  // type forms
  ['[*] matches any type', patient, '[*]', true],
  ['[*] never matches a Subscription', { resourceType: 'Subscription', id: 's' }, '[*]', false],
  ['a type list matches its members', obs, '[Patient,Observation]', true],
  ['a type list skips other types', obs, '[Patient, Encounter]', false],
  ['Type? matches every resource of the type', obs, 'Observation?', true],
  ['Type? skips other types', patient, 'Observation?', false],
  ['a bare type matches every resource of the type', obs, 'Observation', true],

  // token on CodeableConcept
  ['token system|code', obs, `Observation?code=${LOINC}|1234-5`, true],
  ['token system|code with another system', obs, 'Observation?code=http://snomed.info/sct|1234-5', false],
  ['token code alone, any system', obs, 'Observation?code=1234-5', true],
  ['token |code needs a coding without system', obs, 'Observation?code=|1234-5', false],
  [
    'token |code matches a coding without system',
    makeObservation({ code: { coding: [{ code: 'x1' }] } }),
    'Observation?code=|x1',
    true,
  ],
  ['token system| matches any code of the system', obs, `Observation?code=${LOINC}|`, true],
  [
    'token is case-sensitive',
    makeObservation({ code: { coding: [{ code: 'abc' }] } }),
    'Observation?code=ABC',
    false,
  ],
  ['token OR with comma', obs, 'Observation?code=9999-9,1234-5', true],
  ['token OR none matching', obs, 'Observation?code=9999-9,8888-8', false],
  ['repeated parameter is AND', obs, 'Observation?code=1234-5&code=9999-9', false],
  ['token on a missing element', noCode, 'Observation?code=1234-5', false],
  ['token on a primitive code', obs, 'Observation?status=final', true],
  ['token on a primitive code, no match', obs, 'Observation?status=preliminary', false],
  ['token :not with a matching value', obs, 'Observation?code:not=1234-5', false],
  ['token :not with another value', obs, 'Observation?code:not=9999-9', true],
  ['token :not matches when the element is missing', noCode, 'Observation?code:not=1234-5', true],
  ['token :not with OR values excludes any of them', obs, 'Observation?code:not=9999-9,1234-5', false],
  ['token :text on CodeableConcept.text', obs, 'Observation?code:text=blood', true],
  ['token :text on Coding.display', obs, 'Observation?code:text=GLUC', true],
  ['token :text is starts-with only', obs, 'Observation?code:text=glucose', true],
  ['token :text, no match', obs, 'Observation?code:text=sugar', false],
  ['token :text on Identifier.type.text', obs, 'Observation?identifier:text=lab', true],
  ['token :missing=true on a missing element', noCode, 'Observation?code:missing=true', true],
  ['token :missing=true on a present element', obs, 'Observation?code:missing=true', false],
  ['token :missing=false on a present element', obs, 'Observation?code:missing=false', true],
  ['token on Identifier system|value', obs, 'Observation?identifier=http://example.org/ids|A-1', true],
  ['token on Identifier value alone', obs, 'Observation?identifier=A-1', true],
  ['token on Identifier wrong system', obs, 'Observation?identifier=http://other|A-1', false],
  [
    'token on Coding (_tag)',
    obs,
    '_tag'.replace(/^/, 'Observation?') + '=http://example.org/tags|synthetic',
    true,
  ],
  ['token on Coding (_security) code only', obs, 'Observation?_security=R', true],
  ['token on boolean true', patient, 'Patient?active=true', true],
  ['token on boolean false', patient, 'Patient?active=false', false],
  ['token on ContactPoint value (email)', patient, 'Patient?email=someone@example.org', true],
  ['token email does not look at phone numbers', patient, 'Patient?email=555-0100', false],
  ['token telecom on any ContactPoint', patient, 'Patient?telecom=555-0100', true],
  ['token _id', obs, 'Observation?_id=o1', true],
  ['token _id no match', obs, 'Observation?_id=o2', false],
  [
    'token on a choice type (value-concept)',
    makeObservation({
      valueQuantity: undefined,
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260385009' }] },
    }),
    'Observation?value-concept=http://snomed.info/sct|260385009',
    true,
  ],
  [
    'escaped comma is part of the value',
    makeObservation({ code: { coding: [{ code: 'a,b' }] } }),
    'Observation?code=a\\,b',
    true,
  ],

  [
    'escaped pipe is part of the code',
    makeObservation({ code: { coding: [{ code: 'a|b' }] } }),
    'Observation?code=a\\|b',
    true,
  ],
  ['token _id OR', obs, 'Observation?_id=o9,o1', true],
  ['percent-encoded pipe', obs, 'Observation?code=http%3A%2F%2Floinc.org%7C1234-5', true],

  // string
  [
    'percent-encoded accented value',
    makePatient({ name: [{ family: 'zoe' }] }),
    'Patient?family=Zo%C3%AB',
    true,
  ],
  ['string starts-with, case-insensitive', patient, 'Patient?family=zo', true],
  ['string accent-insensitive (Zoë vs zoe)', patient, 'Patient?family=zoe', true],
  [
    'string accent-insensitive the other way',
    makePatient({ name: [{ family: 'Zoe' }] }),
    'Patient?family=Zoë',
    true,
  ],
  ['string is not contains by default', patient, 'Patient?family=oe', false],
  ['string :contains', patient, 'Patient?family:contains=OE', true],
  ['string :exact matches the whole string', patient, 'Patient?family:exact=Zoë', true],
  ['string :exact is case-sensitive', patient, 'Patient?family:exact=zoë', false],
  ['string :exact is accent-sensitive', patient, 'Patient?family:exact=Zoe', false],
  ['string :exact is not a prefix match', patient, 'Patient?family:exact=Zo', false],
  ['string on HumanName matches given names', patient, 'Patient?name=anne', true],
  ['string on HumanName matches text', patient, 'Patient?name=zoe s', true],
  ['string on HumanName matches prefix', patient, 'Patient?name=dr', true],
  ['string on HumanName, no part matches', patient, 'Patient?name=marie', false],
  ['string :contains on HumanName parts', patient, 'Patient?name:contains=marie', true],
  ['string on Address city', patient, 'Patient?address=spring', true],
  ['string on Address line', patient, 'Patient?address=1 main', true],
  ['string address-city', patient, 'Patient?address-city=Springfield', true],
  ['string address-postalcode', patient, 'Patient?address-postalcode=123', true],
  ['string on a missing element', without(patient, 'name'), 'Patient?name=zoe', false],
  ['string :missing=true', without(patient, 'name'), 'Patient?name:missing=true', true],
  ['string on a choice (value-string)', stringValued, 'Observation?value-string=pos', true],

  // uri
  ['uri exact', valueSet, 'ValueSet?url=http://example.org/fhir/ValueSet/colors', true],
  ['uri is not a prefix match', valueSet, 'ValueSet?url=http://example.org/fhir', false],
  ['uri :below', valueSet, 'ValueSet?url:below=http://example.org/fhir', true],
  ['uri :below, no match', valueSet, 'ValueSet?url:below=http://example.org/other', false],
  ['uri :above', valueSet, 'ValueSet?url:above=http://example.org/fhir/ValueSet/colors/v2', true],
  ['uri _profile (canonical)', obs, 'Observation?_profile=http://example.org/StructureDefinition/obs', true],
  ['uri :missing', without(valueSet, 'url'), 'ValueSet?url:missing=true', true],

  // reference
  ['reference Type/id', obs, 'Observation?subject=Patient/p1', true],
  ['reference Type/id of another id', obs, 'Observation?subject=Patient/p2', false],
  ['reference bare id (any target type)', obs, 'Observation?subject=p1', true],
  ['reference :Type modifier', obs, 'Observation?subject:Patient=p1', true],
  ['reference :Type modifier with another type', obs, 'Observation?subject:Group=p1', false],
  [
    'reference matches a versioned reference',
    makeObservation({ subject: { reference: 'Patient/p1/_history/3' } }),
    'Observation?subject=Patient/p1',
    true,
  ],
  ['reference where(resolve() is Patient)', obs, 'Observation?patient=p1', true],
  [
    'reference where(resolve() is Patient) skips a Group',
    makeObservation({ subject: { reference: 'Group/p1' } }),
    'Observation?patient=p1',
    false,
  ],
  ['reference on arrays', obs, 'Observation?performer=Organization/org1', true],
  [
    'reference absolute URL',
    patient,
    'Patient?general-practitioner=https://other.example/fhir/Practitioner/dr2',
    true,
  ],
  [
    'reference relative value does not match an absolute reference',
    patient,
    'Patient?general-practitioner=Practitioner/dr2',
    false,
  ],
  ['reference urn:uuid', patient, 'Patient?organization=urn:uuid:4f9a6a58-1b4e-4c4e-9c11-2f0d3c7e1a10', true],
  ['reference :missing=true', noSubject, 'Observation?subject:missing=true', true],
  ['reference :missing=false', obs, 'Observation?subject:missing=false', true],

  // date on dateTime 2020-03-05T10:00:00Z (a one-second range)
  ['date eq year', obs, 'Observation?date=2020', true],
  ['date eq other year', obs, 'Observation?date=2021', false],
  ['date eq month', obs, 'Observation?date=2020-03', true],
  ['date eq day', obs, 'Observation?date=2020-03-05', true],
  ['date eq minute', obs, 'Observation?date=2020-03-05T10:00', true],
  ['date eq minute with zone', obs, 'Observation?date=2020-03-05T11:00%2B01:00', true],
  ['date eq minute, unencoded + zone', obs, 'Observation?date=2020-03-05T11:00+01:00', true],
  ['date eq another minute', obs, 'Observation?date=2020-03-05T10:01', false],
  ['date ne', obs, 'Observation?date=ne2020-03-06', true],
  ['date ne, same day', obs, 'Observation?date=ne2020-03-05', false],
  ['date gt day before', obs, 'Observation?date=gt2020-03-04', true],
  ['date gt same day', obs, 'Observation?date=gt2020-03-05', false],
  ['date lt day after', obs, 'Observation?date=lt2020-03-06', true],
  ['date lt same day', obs, 'Observation?date=lt2020-03-05', false],
  ['date ge same day', obs, 'Observation?date=ge2020-03-05', true],
  ['date le same day', obs, 'Observation?date=le2020-03-05', true],
  ['date ge day after', obs, 'Observation?date=ge2020-03-06', false],
  ['date sa day before', obs, 'Observation?date=sa2020-03-04', true],
  ['date sa same day', obs, 'Observation?date=sa2020-03-05', false],
  ['date eb day after', obs, 'Observation?date=eb2020-03-06', true],
  ['date eb same day', obs, 'Observation?date=eb2020-03-05', false],
  ['date OR', obs, 'Observation?date=2019,2020', true],
  ['date range by AND', obs, 'Observation?date=ge2020-03-01&date=lt2020-04-01', true],
  ['date on a missing element', without(obs, 'effectiveDateTime'), 'Observation?date=2020', false],
  ['date :missing=true', without(obs, 'effectiveDateTime'), 'Observation?date:missing=true', true],
  // a date-only resource value (a month) against finer search values
  ['partial resource date eq its month', patient, 'Patient?birthdate=1980-05', true],
  ['partial resource date not within a day', patient, 'Patient?birthdate=1980-05-10', false],
  ['partial resource date gt a day inside it', patient, 'Patient?birthdate=gt1980-05-10', true],
  ['partial resource date lt a day inside it', patient, 'Patient?birthdate=lt1980-05-10', true],
  ['partial resource date sa a day inside it', patient, 'Patient?birthdate=sa1980-05-10', false],
  ['partial resource date ge the year', patient, 'Patient?birthdate=ge1980', true],
  // Period boundaries: March 1 to 31 (end date covers all of March 31)
  ['Period within month', march, 'Observation?date=2020-03', true],
  ['Period not within a day', march, 'Observation?date=2020-03-05', false],
  ['Period overlaps after a day (gt)', march, 'Observation?date=gt2020-03-05', true],
  ['Period end day is inclusive (gt Mar 30)', march, 'Observation?date=gt2020-03-30', true],
  ['Period not after its end (gt Mar 31)', march, 'Observation?date=gt2020-03-31', false],
  ['Period starts after (sa Feb)', march, 'Observation?date=sa2020-02', true],
  // ge/le at the edges: ending exactly where the search range ends is not "after" it, starting
  // exactly where it starts is not "before" it
  ['Period ending at the end of the search day is not ge it', march, 'Observation?date=ge2020-03-31', false],
  [
    'Period starting at the start of the search day is not le it',
    march,
    'Observation?date=le2020-03-01',
    false,
  ],
  ['Period ending at the end of the search day is le it', march, 'Observation?date=le2020-03-31', true],
  ['Period starting at the start of the search day is ge it', march, 'Observation?date=ge2020-03-01', true],
  ['Period does not start after Mar 1 (sa)', march, 'Observation?date=sa2020-03-01', false],
  ['Period ends before April (eb)', march, 'Observation?date=eb2020-04-01', true],
  ['Period ends before its last day? no (eb Mar 31)', march, 'Observation?date=eb2020-03-31', false],
  ['open-ended Period is after any later date', openEnded, 'Observation?date=gt2030-01-01', true],
  ['open-ended Period not eq a year', openEnded, 'Observation?date=2020', false],
  ['open-ended Period lt its start? no', openEnded, 'Observation?date=lt2020-03-01', false],
  ['Timing outer limits', carePlan, 'CarePlan?activity-date=ge2021-01-05&activity-date=le2021-01-05', true],
  ['Timing eq the month', carePlan, 'CarePlan?activity-date=2021-01', true],
  ['Timing not eq a later month', carePlan, 'CarePlan?activity-date=2021-02', false],
  ['date _lastUpdated (instant)', obs, 'Observation?_lastUpdated=gt2024-01-02T03:04:04Z', true],
  [
    'date gt needs the value past the whole second',
    obs,
    'Observation?_lastUpdated=gt2024-01-02T03:04:05Z',
    false,
  ],
  ['date _lastUpdated to the millisecond', obs, 'Observation?_lastUpdated=2024-01-02T03:04:05.678Z', true],
  ['occurrenceString is not a date value', immunization, 'Immunization?date:missing=true', true],

  // number: probabilities 0.25 and 0.8
  ['number eq with implicit precision', riskAssessment, 'RiskAssessment?probability=0.8', true],
  ['number eq 0.3 covers [0.25, 0.35)', riskAssessment, 'RiskAssessment?probability=0.3', true],
  ['number eq 0.30 does not cover 0.25', riskAssessment, 'RiskAssessment?probability=0.30', false],
  ['number gt compares with the exact value', riskAssessment, 'RiskAssessment?probability=gt0.79', true],
  ['number lt', riskAssessment, 'RiskAssessment?probability=lt0.25', false],
  ['number le', riskAssessment, 'RiskAssessment?probability=le0.25', true],
  ['number ne (any value differs)', riskAssessment, 'RiskAssessment?probability=ne0.8', true],
  ['number sa', riskAssessment, 'RiskAssessment?probability=sa0.9', false],
  ['number eb 0.4 = below [0.35, 0.45)', riskAssessment, 'RiskAssessment?probability=eb0.4', true],
  ['number eb 0.3 = below [0.25, 0.35)', riskAssessment, 'RiskAssessment?probability=eb0.3', false],

  // quantity: 100 mg/dL
  ['quantity value only', obs, 'Observation?value-quantity=100', true],
  [
    'quantity 100 covers [99.5, 100.5)',
    makeObservation({ valueQuantity: { value: 99.5, code: 'mg/dL' } }),
    'Observation?value-quantity=100',
    true,
  ],
  [
    'quantity 100 excludes 100.5',
    makeObservation({ valueQuantity: { value: 100.5, code: 'mg/dL' } }),
    'Observation?value-quantity=100',
    false,
  ],
  [
    'quantity 100.0 excludes 99.5',
    makeObservation({ valueQuantity: { value: 99.5, code: 'mg/dL' } }),
    'Observation?value-quantity=100.0',
    false,
  ],
  [
    'quantity number|system|code',
    obs,
    'Observation?value-quantity=100|http://unitsofmeasure.org|mg/dL',
    true,
  ],
  [
    'quantity with another unit (no conversion)',
    obs,
    'Observation?value-quantity=1|http://unitsofmeasure.org|g/L',
    false,
  ],
  ['quantity number||code on code', obs, 'Observation?value-quantity=100||mg/dL', true],
  [
    'quantity number||code on unit',
    makeObservation({ valueQuantity: { value: 100, unit: 'mg' } }),
    'Observation?value-quantity=100||mg',
    true,
  ],
  ['quantity gt', obs, 'Observation?value-quantity=gt99||mg/dL', true],
  ['quantity lt', obs, 'Observation?value-quantity=lt100', false],
  ['quantity le', obs, 'Observation?value-quantity=le100', true],
  ['quantity on a missing value', stringValued, 'Observation?value-quantity=100', false],
  ['quantity never matches SampledData', sampled, 'Observation?value-quantity=100', false],

  // composite
  ['composite code$quantity', obs, `Observation?code-value-quantity=${LOINC}|1234-5$gt99`, true],
  [
    'composite code$quantity, value fails',
    obs,
    `Observation?code-value-quantity=${LOINC}|1234-5$lt99`,
    false,
  ],
  [
    'composite components hold in the same component',
    obs,
    `Observation?component-code-value-quantity=${LOINC}|8480-6$gt100`,
    true,
  ],
  [
    'composite does not mix components',
    obs,
    `Observation?component-code-value-quantity=${LOINC}|8462-4$gt100`,
    false,
  ],
  [
    'composite OR',
    obs,
    `Observation?component-code-value-quantity=${LOINC}|8462-4$gt100,${LOINC}|8462-4$lt100`,
    true,
  ],

  // mixed
  [
    'mixed AND all true',
    obs,
    `Observation?code=${LOINC}|1234-5&status=final&subject=Patient/p1&date=2020`,
    true,
  ],
  [
    'mixed AND one false',
    obs,
    `Observation?code=${LOINC}|1234-5&status=final&subject=Patient/p1&date=2021`,
    false,
  ],
];

describe('Function: compileCriteria', () => {
  it.each(cases)('%s (%#)', (_label, resource, criteria, expected) => {
    expect(compileCriteria(criteria).matches(resource)).toBe(expected);
  });

  it('ignores whitespace around the criteria, and keeps the source as given', () => {
    const compiled = compileCriteria('  Observation?status=final\n');
    expect(compiled.matches(obs)).toBe(true);
    expect(compiled.source).toBe('  Observation?status=final\n');
    expect(compileCriteria(' [Observation] ').matches(obs)).toBe(true);
  });

  it('matches a one-type list and a parameterised criteria only on their resource type', () => {
    expect(compileCriteria('[Patient]').matches(obs)).toBe(false);
    expect(compileCriteria('[Patient]').resourceTypes).toEqual(new Set(['Patient']));
    expect(compileCriteria('Observation?_id=p1').matches(patient)).toBe(false);
    expect(compileCriteria('Patient?_id=p1').matches(patient)).toBe(true);
  });

  it('matches resource types that have no search parameters of their own', () => {
    expect(compileCriteria('Binary?_id=b1').matches({ resourceType: 'Binary', id: 'b1' })).toBe(true);
    expect(compileCriteria('Binary?_id=b1').matches({ resourceType: 'Binary', id: 'b2' })).toBe(false);
  });

  it('compiles a parameter that reaches its element through a contentReference', () => {
    const conceptMap: FhirResource = {
      resourceType: 'ConceptMap',
      id: 'cm1',
      status: 'active',
      group: [
        {
          element: [
            {
              code: 'a',
              target: [{ code: 'b', equivalence: 'equal', product: [{ property: 'http://example.org/p' }] }],
            },
          ],
        },
      ],
    };
    expect(compileCriteria('ConceptMap?product=http://example.org/p').matches(conceptMap)).toBe(true);
    expect(compileCriteria('ConceptMap?product=http://example.org/q').matches(conceptMap)).toBe(false);
  });

  it('reads a trailing backslash as part of the value', () => {
    const backslash = makeObservation({ code: { coding: [{ code: 'a\\' }] } });
    expect(compileCriteria('Observation?code=a%5C').matches(backslash)).toBe(true);
  });

  it('records the source text and the types that can match', () => {
    const compiled = compileCriteria('Observation?status=final');
    expect(compiled.source).toBe('Observation?status=final');
    expect(compiled.resourceTypes).toEqual(new Set(['Observation']));
    expect(compileCriteria('[*]').resourceTypes).toBe('*');
    expect(compileCriteria('[Patient,Observation]').resourceTypes).toEqual(
      new Set(['Patient', 'Observation']),
    );
  });
});
