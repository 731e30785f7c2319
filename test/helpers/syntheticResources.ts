import type { FhirResource } from '../../shared/fhir/types.js';

/** Synthetic resources: valid R4, references between them, a mix like Synthea's. */
export const generateResources = function* (count: number): Generator<FhirResource & { id: string }> {
  const kinds = [
    'Patient',
    'Observation',
    'Observation',
    'Observation',
    'Encounter',
    'Condition',
    'Procedure',
  ];
  const patients = Math.max(1, Math.ceil(count / kinds.length));
  for (let i = 0; i < count; i += 1) {
    const kind = i < patients ? 'Patient' : kinds[(i % (kinds.length - 1)) + 1];
    const id = `bench-${i}`;
    const subject = { reference: `Patient/bench-${i % patients}` };
    const date = new Date(Date.UTC(2015, 0, 1) + (i % 3650) * 86_400_000).toISOString();
    switch (kind) {
      case 'Patient':
        yield {
          resourceType: 'Patient',
          id,
          name: [{ family: `Family${i % 997}`, given: [`Given${i % 991}`] }],
          gender: i % 2 === 0 ? 'female' : 'male',
          birthDate: date.slice(0, 10),
        };
        break;
      case 'Observation':
        yield {
          resourceType: 'Observation',
          id,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: i % 3 === 0 ? '8867-4' : '29463-7' }] },
          subject,
          effectiveDateTime: date,
          valueQuantity: {
            value: 40 + (i % 80),
            unit: 'kg',
            system: 'http://unitsofmeasure.org',
            code: 'kg',
          },
        };
        break;
      case 'Encounter':
        yield {
          resourceType: 'Encounter',
          id,
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          subject,
          period: { start: date, end: date },
        };
        break;
      case 'Condition':
        yield {
          resourceType: 'Condition',
          id,
          code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
          subject,
          onsetDateTime: date,
        };
        break;
      default:
        yield {
          resourceType: 'Procedure',
          id,
          status: 'completed',
          code: { coding: [{ system: 'http://snomed.info/sct', code: '430193006' }] },
          subject,
          performedDateTime: date,
        };
    }
  }
};
