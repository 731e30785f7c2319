import { describe, expect, it } from 'vitest';
import { R4_SEARCH_PARAMETERS } from '../../../shared/criteria/r4SearchParameters.generated.js';
import { ISSUE_TYPE_CODES, isIssueTypeCode } from '../../../shared/fhir/issueTypes.js';
import { isR4ResourceType, R4_RESOURCE_TYPES } from '../../../shared/fhir/r4ResourceTypes.js';

describe('R4_RESOURCE_TYPES', () => {
  it('lists exactly the resource types of the generated R4 search parameter table', () => {
    expect([...R4_RESOURCE_TYPES]).toEqual([...R4_SEARCH_PARAMETERS.resourceTypes]);
    expect(R4_RESOURCE_TYPES).toHaveLength(146);
  });

  it('recognises R4 type names only', () => {
    expect(isR4ResourceType('Patient')).toBe(true);
    for (const value of [
      'patient',
      'Patient ',
      'http:',
      'Foo',
      'constructor',
      '__proto__',
      '',
      7,
      undefined,
    ]) {
      expect(isR4ResourceType(value)).toBe(false);
    }
  });
});

describe('ISSUE_TYPE_CODES', () => {
  it('holds the 31 IssueType codes and nothing else', () => {
    expect(new Set(ISSUE_TYPE_CODES).size).toBe(31);
    expect(isIssueTypeCode('not-supported')).toBe(true);
    expect(isIssueTypeCode('Jane Smith')).toBe(false);
    expect(isIssueTypeCode('toString')).toBe(false);
    expect(isIssueTypeCode(undefined)).toBe(false);
  });
});
