import { describe, expect, it } from 'vitest';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { UCUM, makeObservation } from '../../helpers/criteriaResources.js';

const risk = (probability: unknown): FhirResource => ({
  resourceType: 'RiskAssessment',
  id: 'r1',
  status: 'final',
  subject: { reference: 'Patient/p1' },
  prediction: [{ probabilityDecimal: probability }],
});
const quantity = (valueQuantity: Record<string, unknown>): FhirResource => makeObservation({ valueQuantity });
const sampled = makeObservation({
  valueQuantity: undefined,
  valueSampledData: { origin: { value: 1 }, period: 1, dimensions: 1 },
});
// value 100 mg/dL (UCUM code mg/dL, unit mg/dL)
const obs = makeObservation();

type Case = readonly [label: string, resource: FhirResource, criteria: string, expected: boolean];

const cases: readonly Case[] = [
  // ne 100 = outside [99.5, 100.5)
  ['ne is false inside the implicit range', risk(100), 'RiskAssessment?probability=ne100', false],
  ['ne is false at the low end of the range', risk(99.5), 'RiskAssessment?probability=ne100', false],
  ['ne holds at the (open) high end of the range', risk(100.5), 'RiskAssessment?probability=ne100', true],
  ['ne holds above the range', risk(101), 'RiskAssessment?probability=ne100', true],
  ['ne holds below the range', risk(99), 'RiskAssessment?probability=ne100', true],
  // gt/lt/ge/le compare with the exact value
  ['gt excludes the value itself', risk(100), 'RiskAssessment?probability=gt100', false],
  ['gt holds just above the value', risk(100.01), 'RiskAssessment?probability=gt100', true],
  ['ge includes the value itself', risk(100), 'RiskAssessment?probability=ge100', true],
  ['ge holds above the value', risk(101), 'RiskAssessment?probability=ge100', true],
  [
    'ge excludes a value below, even inside the implicit range',
    risk(99.9),
    'RiskAssessment?probability=ge100',
    false,
  ],
  ['le excludes a value above', risk(100.1), 'RiskAssessment?probability=le100', false],
  ['lt holds below the value', risk(99.9), 'RiskAssessment?probability=lt100', true],
  // sa/eb: above/below the whole implicit range
  ['sa holds at the (open) high end of the range', risk(100.5), 'RiskAssessment?probability=sa100', true],
  ['sa excludes the value itself', risk(100), 'RiskAssessment?probability=sa100', false],
  ['eb excludes the low end of the range', risk(99.5), 'RiskAssessment?probability=eb100', false],
  ['eb holds below the range', risk(99.4), 'RiskAssessment?probability=eb100', true],
  ['a negative search value is a number, not a prefix', risk(-1), 'RiskAssessment?probability=-1', true],
  ['a negative search value with a prefix', risk(-2), 'RiskAssessment?probability=lt-1.5', true],
  ['OR: any value may match', risk(0.8), 'RiskAssessment?probability=0.1,0.8', true],
  ['a number held as a string is no number', risk('100'), 'RiskAssessment?probability=100', false],

  // quantity
  ['OR over quantities', obs, 'Observation?value-quantity=200,100', true],
  ['OR over quantities, none matching', obs, 'Observation?value-quantity=200,300', false],
  [
    'a quantity value held as a string is no number',
    quantity({ value: '100', code: 'mg/dL' }),
    'Observation?value-quantity=100',
    false,
  ],
  ['system|code: the system must match', obs, 'Observation?value-quantity=100|http://other.org|mg/dL', false],
  ['system|code: the code must match', obs, `Observation?value-quantity=100|${UCUM}|g/L`, false],
  ['system|code: the value must match', obs, `Observation?value-quantity=200|${UCUM}|mg/dL`, false],
  [
    'system|code: a value held as a string is no number',
    quantity({ value: '100', system: UCUM, code: 'mg/dL' }),
    `Observation?value-quantity=100|${UCUM}|mg/dL`,
    false,
  ],
  [
    '||code matches Quantity.code',
    quantity({ value: 100, code: 'mg/dL', unit: 'milligram per decilitre' }),
    'Observation?value-quantity=100||mg/dL',
    true,
  ],
  [
    '||code matches Quantity.unit',
    quantity({ value: 100, code: 'mg/dL', unit: 'mg' }),
    'Observation?value-quantity=100||mg',
    true,
  ],
  [
    '||code: neither code nor unit',
    quantity({ value: 100, code: 'g', unit: 'g' }),
    'Observation?value-quantity=100||mg',
    false,
  ],
  ['||code: the value must match', obs, 'Observation?value-quantity=200||mg/dL', false],
  [
    '||code: a value held as a string is no number',
    quantity({ value: '100', code: 'mg/dL' }),
    'Observation?value-quantity=100||mg/dL',
    false,
  ],
  // :missing: SampledData is no quantity value
  ['a Quantity is a present quantity', obs, 'Observation?value-quantity:missing=false', true],
  ['SampledData is a missing quantity', sampled, 'Observation?value-quantity:missing=true', true],
  ['SampledData is not a present quantity', sampled, 'Observation?value-quantity:missing=false', false],
];

describe('Functions: numberTests, quantityTests', () => {
  it.each(cases)('%s (%#)', (_label, resource, criteria, expected) => {
    expect(compileCriteria(criteria).matches(resource)).toBe(expected);
  });
});
