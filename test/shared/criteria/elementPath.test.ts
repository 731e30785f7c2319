import { describe, expect, it } from 'vitest';
import { referenceTypeOf } from '../../../shared/criteria/elementPath.js';
import { splitEscaped } from '../../../shared/criteria/searchValue.js';

describe('Function: referenceTypeOf', () => {
  it.each([
    [{ reference: 'Patient/p1' }, 'Patient'],
    [{ reference: 'Patient/p1/_history/2', type: 'Group' }, 'Patient'],
    [{ reference: 'https://example.org/fhir/Patient/p1' }, 'Patient'],
    [{ reference: 'https://example.org/fhir/Patient/p1/_history/2' }, 'Patient'],
    [{ reference: 'urn:uuid:9d6e2c1a-0000-4000-8000-000000000001', type: 'Patient' }, 'Patient'],
    [{ reference: '#contained-1', type: 'Medication' }, 'Medication'],
    [{ type: 'Group' }, 'Group'],
    [{ reference: 'urn:uuid:9d6e2c1a-0000-4000-8000-000000000001' }, undefined],
    [{ reference: ['Patient/p1'] }, undefined],
    [{ type: 5 }, undefined],
  ])('reads the type of %j as %s', (reference, type) => {
    expect(referenceTypeOf(reference)).toBe(type);
  });
});

describe('Function: splitEscaped', () => {
  it('splits on unescaped separators only', () => {
    expect(splitEscaped('a,b\\,c,', ',')).toEqual(['a', 'b\\,c', '']);
  });

  it('keeps a trailing backslash as it is', () => {
    expect(splitEscaped('a\\', ',')).toEqual(['a\\']);
    expect(splitEscaped('a,\\', ',')).toEqual(['a', '\\']);
  });
});
