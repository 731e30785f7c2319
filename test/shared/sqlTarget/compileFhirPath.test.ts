import { parseFhirPath, toTypedValue } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FHIRPATH_FUNCTIONS,
  compileFhirPath,
  fhirPathScope,
  type CompiledFhirPath,
} from '../../../shared/sqlTarget/compileFhirPath.js';

const compiled = (expression: string): CompiledFhirPath => {
  const result = compileFhirPath(expression);
  if (typeof result === 'string') throw new Error(result);
  return result;
};

const patient = {
  resourceType: 'Patient',
  id: 'p1',
  name: [
    { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
    { use: 'usual', given: ['Jim'] },
  ],
};

describe('Function: compileFhirPath', () => {
  it('evaluates against the resource, with %resource and the FHIRPath constants available', () => {
    const scope = fhirPathScope(patient);
    const values = (expression: string) =>
      compiled(expression)
        .evaluate(scope.resource, scope)
        .map((item) => item.value);
    expect(values("name.where(use = 'official').family")).toEqual(['Chalmers']);
    expect(values("name.first().given.join(' ')")).toEqual(['Peter James']);
    expect(values('%resource.id')).toEqual(['p1']);
    expect(values('%loinc')).toEqual(['http://loinc.org']);
  });

  it('evaluates a child context: an element, with %resource still the whole resource', () => {
    const scope = fhirPathScope(patient);
    const [, usual] = compiled('name').evaluate(scope.resource, scope);
    expect(compiled('given.first()').evaluate(usual!, scope)[0]?.value).toBe('Jim');
    expect(compiled('%resource.name.count()').evaluate(usual!, scope)[0]?.value).toBe(2);
  });

  it('explains what is wrong with an expression', () => {
    expect(compileFhirPath('   ')).toBe('is empty');
    expect(compileFhirPath('name.where(')).toMatch(/^is not valid FHIRPath \(/);
    expect(compileFhirPath('name.trace("x").matches("a")')).toBe(
      'calls matches(), trace(), which a mapping may not use',
    );
  });

  it('allows only functions @medplum/core implements (a Medplum upgrade that drops one fails here)', () => {
    const unknown = [...ALLOWED_FHIRPATH_FUNCTIONS].filter((name) => {
      try {
        parseFhirPath(`'a'.${name}()`).eval({ variables: {} }, [toTypedValue({ resourceType: 'Patient' })]);
        return false;
      } catch (error) {
        return String(error).includes('Unrecognized function');
      }
    });
    expect(unknown).toEqual([]);
    expect(ALLOWED_FHIRPATH_FUNCTIONS.size).toBeGreaterThan(80);
  });
});
