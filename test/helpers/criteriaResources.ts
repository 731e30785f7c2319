import type { FhirResource } from '../../shared/fhir/types.js';

/** Small FHIR resources for criteria tests; overrides are merged at the root. */
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

export const makeObservation = (overrides: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Observation',
  id: 'o1',
  meta: {
    lastUpdated: '2024-01-02T03:04:05.678Z',
    tag: [{ system: 'http://example.org/tags', code: 'synthetic' }],
    security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
    profile: ['http://example.org/StructureDefinition/obs'],
  },
  status: 'final',
  code: { coding: [{ system: LOINC, code: '1234-5', display: 'Glucose' }], text: 'Blood glucose' },
  subject: { reference: 'Patient/p1' },
  performer: [{ reference: 'Practitioner/dr1' }, { reference: 'Organization/org1' }],
  identifier: [{ system: 'http://example.org/ids', value: 'A-1', type: { text: 'Lab accession' } }],
  effectiveDateTime: '2020-03-05T10:00:00Z',
  valueQuantity: { value: 100, unit: 'mg/dL', system: UCUM, code: 'mg/dL' },
  component: [
    {
      code: { coding: [{ system: LOINC, code: '8480-6' }] },
      valueQuantity: { value: 120, system: UCUM, code: 'mm[Hg]' },
    },
    {
      code: { coding: [{ system: LOINC, code: '8462-4' }] },
      valueQuantity: { value: 80, system: UCUM, code: 'mm[Hg]' },
    },
  ],
  ...overrides,
});

export const makePatient = (overrides: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Patient',
  id: 'p1',
  active: true,
  gender: 'female',
  birthDate: '1980-05',
  name: [{ family: 'Zoë', given: ['Anne-Marie'], prefix: ['Dr'] }, { text: 'Zoe Smith' }],
  telecom: [
    { system: 'email', value: 'someone@example.org' },
    { system: 'phone', value: '555-0100' },
  ],
  address: [{ line: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' }],
  identifier: [{ system: 'http://example.org/mrn', value: 'M1', type: { text: 'Medical record number' } }],
  generalPractitioner: [{ reference: 'https://other.example/fhir/Practitioner/dr2' }],
  managingOrganization: { reference: 'urn:uuid:4f9a6a58-1b4e-4c4e-9c11-2f0d3c7e1a10' },
  ...overrides,
});

/** A resource without the overridden keys (for "missing element" cases). */
export const without = (resource: FhirResource, ...keys: string[]): FhirResource => {
  const copy: Record<string, unknown> = { ...resource };
  for (const key of keys) delete copy[key];
  return copy as unknown as FhirResource;
};
