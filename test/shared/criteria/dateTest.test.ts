import { describe, expect, it } from 'vitest';
import { compileCriteria, parseDateRange } from '../../../shared/criteria/index.js';
import { rangeTest } from '../../../shared/criteria/dateTest.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { makeObservation, makePatient } from '../../helpers/criteriaResources.js';

// effectiveDateTime 2020-03-05T10:00:00Z: the one-second range [10:00:00, 10:00:01).
const obs = makeObservation();
const withPeriod = (period: Record<string, unknown>): FhirResource =>
  makeObservation({ effectiveDateTime: undefined, effectivePeriod: period });
const withTiming = (timing: Record<string, unknown>): FhirResource => ({
  resourceType: 'CarePlan',
  id: 'c1',
  status: 'active',
  intent: 'plan',
  subject: { reference: 'Patient/p1' },
  activity: [{ detail: { status: 'scheduled', scheduledTiming: timing } }],
});

type Case = readonly [label: string, resource: FhirResource, criteria: string, expected: boolean];

const cases: readonly Case[] = [
  // A target exactly equal to the search range: eq, ge and le hold, ne does not.
  [
    'ne is false for a target equal to the search range',
    obs,
    'Observation?date=ne2020-03-05T10:00:00Z',
    false,
  ],
  ['ge holds for a target equal to the search range', obs, 'Observation?date=ge2020-03-05T10:00:00Z', true],
  ['le holds for a target equal to the search range', obs, 'Observation?date=le2020-03-05T10:00:00Z', true],
  ['eq holds for a target equal to the search range', obs, 'Observation?date=2020-03-05T10:00:00Z', true],
  [
    'ne is false for a target starting at the start of the search range',
    obs,
    'Observation?date=ne2020-03-05T10:00',
    false,
  ],
  [
    'ne is false for a target ending at the end of the search range',
    makeObservation({ effectiveDateTime: '2020-03-05T10:00:59Z' }),
    'Observation?date=ne2020-03-05T10:00',
    false,
  ],
  [
    'ne holds for a target reaching past the search range',
    obs,
    'Observation?date=ne2020-03-05T10:00:00.5Z',
    true,
  ],
  // Period: a missing start or end is open; no start and no end is no value at all.
  [
    'ne holds for a target starting in the search range and ending after it',
    withPeriod({ start: '2020-03-01', end: '2020-03-31' }),
    'Observation?date=ne2020-03-01',
    true,
  ],
  ['an empty Period is no date', withPeriod({}), 'Observation?date=lt2020', false],
  ['an empty Period is a missing date', withPeriod({}), 'Observation?date:missing=true', true],
  [
    'a Period with a start is a present date',
    withPeriod({ start: '2020' }),
    'Observation?date:missing=false',
    true,
  ],
  [
    'a Period with only an end starts at -infinity',
    withPeriod({ end: '2020-03-31' }),
    'Observation?date=lt2020-03-01',
    true,
  ],
  [
    'a Period with only an end is not within a month',
    withPeriod({ end: '2020-03-31' }),
    'Observation?date=2020-03',
    false,
  ],
  [
    'a Period with only an end ends at its end',
    withPeriod({ end: '2020-03-31' }),
    'Observation?date=eb2020-04-01',
    true,
  ],
  [
    'a Period with a malformed start is no date',
    withPeriod({ start: 'soon', end: '2020-03-31' }),
    'Observation?date=eb2020-04-01',
    false,
  ],
  [
    'a Period with a malformed end is no date',
    withPeriod({ start: '2020-03-01', end: 'later' }),
    'Observation?date=sa2020-02',
    false,
  ],
  // Timing: outer limits of the events and repeat.boundsPeriod.
  [
    'a Timing with only repeat.boundsPeriod',
    withTiming({ repeat: { boundsPeriod: { start: '2021-01-01', end: '2021-01-31' } } }),
    'CarePlan?activity-date=2021-01',
    true,
  ],
  [
    'a Timing ignores a malformed event',
    withTiming({ event: ['whenever', '2021-01-10'] }),
    'CarePlan?activity-date=2021-01-10',
    true,
  ],
  [
    'a Timing reaches back to the start of its bounds',
    withTiming({
      event: ['2021-01-10'],
      repeat: { boundsPeriod: { start: '2020-12-01', end: '2021-02-28' } },
    }),
    'CarePlan?activity-date=lt2020-12-15',
    true,
  ],
  [
    'a Timing reaches forward to the end of its bounds',
    withTiming({
      event: ['2021-01-10'],
      repeat: { boundsPeriod: { start: '2020-12-01', end: '2021-02-28' } },
    }),
    'CarePlan?activity-date=gt2021-02-15',
    true,
  ],
  [
    'a Timing event outside its bounds widens the range',
    withTiming({
      event: ['2021-03-10'],
      repeat: { boundsPeriod: { start: '2021-01-01', end: '2021-01-31' } },
    }),
    'CarePlan?activity-date=sa2021-02-28',
    false,
  ],
  ['an empty Timing is no date', withTiming({}), 'CarePlan?activity-date=eb2030', false],
  ['an empty Timing is a missing date', withTiming({}), 'CarePlan?activity-date:missing=true', true],
  [
    'a Timing with events is a present date',
    withTiming({ event: ['2021-01-10'] }),
    'CarePlan?activity-date:missing=false',
    true,
  ],
  [
    'a Timing with no event is not a present date',
    withTiming({ code: { text: 'BID' } }),
    'CarePlan?activity-date:missing=false',
    false,
  ],
  // dateTime values
  ['a dateTime is a present date', obs, 'Observation?date:missing=false', true],
  [
    'a malformed dateTime is no date',
    makeObservation({ effectiveDateTime: 'yesterday' }),
    'Observation?date=ge2020',
    false,
  ],
  [
    'a date that is not a string is no date',
    makePatient({ birthDate: 19800501 }),
    'Patient?birthdate=ge1900',
    false,
  ],
  [
    'a date that is not a string is a missing date',
    makePatient({ birthDate: 19800501 }),
    'Patient?birthdate:missing=true',
    true,
  ],
];

describe('Function: dateTests', () => {
  it.each(cases)('%s (%#)', (_label, resource, criteria, expected) => {
    expect(compileCriteria(criteria).matches(resource)).toBe(expected);
  });
});

describe('Function: rangeTest', () => {
  it('has no range test for the ap prefix', () => {
    expect(() => rangeTest('ap', parseDateRange('2020')!)).toThrow('prefix ap has no range test');
  });
});
