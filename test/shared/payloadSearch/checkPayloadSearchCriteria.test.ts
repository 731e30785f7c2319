import { describe, expect, it } from 'vitest';
import { checkPayloadSearchCriteria } from '../../../shared/payloadSearch/checkPayloadSearchCriteria.js';
import { substituteMatchedResource } from '../../../shared/payloadSearch/substituteMatchedResource.js';

describe('Function: checkPayloadSearchCriteria', () => {
  it.each([
    'Observation?_id=${matched_resource_id}&_include=Observation:subject',
    'Observation?_id=${matched_resource_id}&_include=*',
    'Patient?_id=${matched_resource_id}&_revinclude=Flag:subject',
    'Observation?subject=${matched_resource_id}&_count=50',
    'Encounter?',
  ])('accepts the relative search URL %s', (criteria) => {
    expect(checkPayloadSearchCriteria(criteria).problem).toBeUndefined();
  });

  it.each([
    ['https://ehr.example.org/fhir/Observation?_id=1', 'R4 resource type'],
    ['/Observation?_id=1', 'R4 resource type'],
    ['Observation', 'relative search URL'],
    ['Observation/_search?_id=1', 'R4 resource type'],
    ['NotAType?_id=1', 'R4 resource type'],
    ['Observation?_id=${matched_resource_type}', 'only use the substitution ${matched_resource_id}'],
    ['Observation?_id=1#frag', 'fragment'],
    ['Observation?_id=%zz', 'percent-encoding'],
    ['Observation?_id=1&_summary=true', '_summary'],
    ['Observation?_id=1&_elements=id', '_elements'],
    ['Observation?_id=1 &x=2', 'whitespace'],
    [`Observation?code=${'x'.repeat(2100)}`, 'at most 2048'],
  ])('refuses %s, saying why without quoting it', (criteria, why) => {
    const { problem } = checkPayloadSearchCriteria(criteria);
    expect(problem).toContain(why);
    expect(problem).not.toContain(criteria);
  });

  it('says whether the criteria use ${matched_resource_id}', () => {
    expect(checkPayloadSearchCriteria('Observation?_id=${matched_resource_id}').usesMatchedResourceId).toBe(
      true,
    );
    expect(checkPayloadSearchCriteria('Observation?status=final').usesMatchedResourceId).toBe(false);
  });
});

describe('Function: substituteMatchedResource', () => {
  it('puts the bare id into _id and the relative id (Type/id, as HAPI) everywhere else', () => {
    expect(
      substituteMatchedResource(
        'Observation?_id=${matched_resource_id}&_include=Observation:subject',
        'Observation',
        '3',
      ),
    ).toBe('Observation?_id=3&_include=Observation:subject');
    expect(substituteMatchedResource('Observation?subject=${matched_resource_id}', 'Patient', 'p-1')).toBe(
      'Observation?subject=Patient/p-1',
    );
    expect(
      substituteMatchedResource('Observation?_id:not=${matched_resource_id},x', 'Observation', '3'),
    ).toBe('Observation?_id:not=3,x');
  });

  it('replaces every occurrence and leaves criteria without the substitution unchanged', () => {
    expect(
      substituteMatchedResource(
        'Observation?subject=${matched_resource_id}&performer=${matched_resource_id}',
        'Patient',
        '7',
      ),
    ).toBe('Observation?subject=Patient/7&performer=Patient/7');
    expect(substituteMatchedResource('Observation?status=final', 'Observation', '3')).toBe(
      'Observation?status=final',
    );
  });
});
