import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { ensureStructureDefinitions } from '../../../shared/ingest/validateFhirResource.js';
import { buildRows } from '../../../shared/sqlTarget/buildRows.js';
import { defaultMapping } from '../../../shared/sqlTarget/defaultMapping.js';
import { hasSynthea, loadSyntheaResources } from '../../helpers/synthea.js';

/** A few resources shaped like Synthea's, for a clone without the fixtures. */
const SMALL_CORPUS: FhirResource[] = [
  {
    resourceType: 'Patient',
    id: 'p1',
    gender: 'female',
    birthDate: '1970-03',
    deceasedDateTime: '2020-01-01T00:00:00Z',
    multipleBirthInteger: 2,
    name: [{ use: 'official', family: 'Doe', given: ['Ann', 'B'], prefix: ['Ms.'] }],
    identifier: [{ system: 'urn:x', value: '1', type: { coding: [{ code: 'MR' }] } }],
    address: [{ line: ['1 Main St', 'Apt 2'], city: 'Boston', postalCode: '02110' }],
  },
  {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    category: [{ coding: [{ code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    subject: { reference: 'Patient/p1' },
    effectivePeriod: { start: '2020-01-01T10:00:00Z' },
    component: [{ code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]' } }],
  },
  {
    resourceType: 'MedicationRequest',
    id: 'm1',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ code: '310325' }] },
    subject: { reference: 'Patient/p1' },
    dosageInstruction: [
      {
        sequence: 1,
        asNeededBoolean: true,
        timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
      },
    ],
  },
];

describe('FHIRPath columns with and without the R4 definitions loaded', () => {
  // The whole Synthea corpus twice, the first pass without definitions (about 2,400 resources/s): slow on a busy machine.
  it('give the same rows (the definitions only make navigation faster)', { timeout: 180_000 }, () => {
    const mapping = defaultMapping();
    const corpus = (hasSynthea() ? loadSyntheaResources({ asStored: true }) : SMALL_CORPUS).filter((r) =>
      mapping.transformers.has(r.resourceType as string),
    );
    const rowsOf = () =>
      corpus.map((resource) => {
        let n = 0;
        const rows = buildRows(
          mapping.transformers.get(resource.resourceType as string)!,
          { resourceType: resource.resourceType as string, id: resource.id as string, version: 1, resource },
          () => String(++n),
        );
        return {
          values: rows.values,
          children: [...rows.children].map(([table, list]) => [table.name, list]),
        };
      });
    const without = rowsOf();
    const definitions = ensureStructureDefinitions();
    for (const resource of corpus) definitions.loadTypesIn(resource);
    expect(rowsOf()).toEqual(without);
    expect(without.length).toBeGreaterThanOrEqual(3);
  });
});
