import { describe, expect, it } from 'vitest';
import { compileCriteria, selectingCriteria } from '../../../shared/criteria/index.js';
import { R4_SEARCH_PARAMETERS } from '../../../shared/criteria/r4SearchParameters.generated.js';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';

const withSource = (criteria: string) =>
  compileCriteria(criteria, R4_SEARCH_PARAMETERS, { sourceEvaluation: true });

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '1000000050' }] },
  subject: { reference: 'Patient/p1' },
};

describe('Function: compileCriteria, result parameters', () => {
  it("accepts seed 001's criteria with _format, ignoring it, and says which parameters it ignored", () => {
    const compiled = compileCriteria('Observation?code=SNOMED-CT|1000000050&_format=xml');
    expect(compiled.ignoredParameters).toEqual(['_format']);
    expect(compiled.sourceQuery).toBeUndefined();
    const snomed = { ...observation, code: { coding: [{ system: 'SNOMED-CT', code: '1000000050' }] } };
    expect(compiled.matches(snomed)).toBe(true);
    expect(compiled.matches({ ...snomed, code: { coding: [{ system: 'SNOMED-CT', code: '1' }] } })).toBe(
      false,
    );
  });

  it.each(['_format=xml', '_pretty=true', '_summary=true', '_elements=id', '_count=10'])(
    'ignores %s: it selects nothing',
    (parameter) => {
      const compiled = compileCriteria(`Observation?status=final&${parameter}`);
      expect(compiled.ignoredParameters).toEqual([parameter.split('=')[0]]);
      expect(compiled.matches(observation)).toBe(true);
    },
  );

  it('still refuses the result parameters that change what a search means (_sort, _include, _contained)', () => {
    for (const criteria of ['Observation?_sort=date', 'Observation?_include=Observation:subject']) {
      expect(() => compileCriteria(criteria)).toThrow(OperationOutcomeError);
    }
  });

  it('removes ignored result parameters from criteria sent to the source, keeping the rest as written', () => {
    expect(selectingCriteria('Observation?code=SNOMED-CT%7C1000000050&_format=xml&_count=5')).toBe(
      'Observation?code=SNOMED-CT%7C1000000050',
    );
    expect(selectingCriteria('Observation?_summary=true')).toBe('Observation?');
    expect(selectingCriteria('[Patient,Observation]')).toBe('[Patient,Observation]');
    expect(selectingCriteria('Patient')).toBe('Patient');
  });
});

describe('Function: compileCriteria, parameters the source server evaluates', () => {
  it.each([
    ['a chain', 'Observation?subject.identifier=http://hospital|123', 'subject.identifier'],
    ['a typed chain', 'Observation?subject:Patient.name=peter', 'subject:Patient.name'],
    ['reverse chaining', 'Patient?_has:Observation:patient:code=1234-5', '_has:Observation:patient:code'],
    ['_text', 'Observation?_text=cough', '_text'],
    ['_content', 'Observation?_content=cough', '_content'],
    ['_list', 'Observation?_list=42', '_list'],
    ['a value set', 'Observation?code:in=http://example.org/vs', 'code:in'],
    ['a subsumption test', 'Observation?code:below=http://snomed.info/sct|1', 'code:below'],
  ])('leaves %s to the source, with the query to run there', (_label, criteria, parameter) => {
    const compiled = withSource(criteria);
    expect(compiled.sourceParameters).toEqual([parameter]);
    expect(compiled.sourceQuery).toBe(criteria.slice(criteria.indexOf('?') + 1));
  });

  it('evaluates what it can in memory, so a resource failing that is never sent to the source', () => {
    const compiled = withSource('Observation?status=final&subject:Patient.name=peter&_format=json');
    expect(compiled.sourceQuery).toBe('status=final&subject:Patient.name=peter');
    expect(compiled.ignoredParameters).toEqual(['_format']);
    expect(compiled.matches(observation)).toBe(true);
    expect(compiled.matches({ ...observation, status: 'preliminary' })).toBe(false);
    expect(compiled.firstFailure?.({ ...observation, status: 'preliminary' })).toBe('status');
    expect(compiled.matches({ resourceType: 'Patient', id: 'p1' })).toBe(false);
  });

  it('refuses them without a source, saying how to configure one, never quoting the value', () => {
    let error: unknown;
    try {
      compileCriteria('Observation?subject.identifier=http://hospital|SECRET-123');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OperationOutcomeError);
    const diagnostics = (error as OperationOutcomeError).outcome.issue?.[0]?.diagnostics ?? '';
    expect(diagnostics).toContain('"subject.identifier"');
    expect(diagnostics).toContain('sourceFhir.baseUrl');
    expect(diagnostics).toContain('--source-fhir-url');
    expect(diagnostics).not.toContain('SECRET-123');
  });

  it('bounds the query sent to the source', () => {
    expect(() => withSource(`Observation?subject.name=${'x'.repeat(2100)}`)).toThrow(
      /at most 2048 characters/,
    );
  });

  it('still refuses what no server evaluates for it: unknown parameters and modifiers', () => {
    expect(() => withSource('Observation?flavour=sweet')).toThrow(OperationOutcomeError);
    expect(() => withSource('Patient?identifier:of-type=http://x|MR|1')).toThrow(OperationOutcomeError);
  });
});

describe('Function: compileCriteria, firstFailure', () => {
  it('names the first parameter a resource fails, or resourceType, and nothing when it matches', () => {
    const compiled = compileCriteria('Observation?status=final&code=http://snomed.info/sct|1000000050');
    expect(compiled.firstFailure?.(observation)).toBeUndefined();
    expect(compiled.firstFailure?.({ ...observation, status: 'amended' })).toBe('status');
    expect(compiled.firstFailure?.({ ...observation, code: { text: 'x' } })).toBe('code');
    expect(compiled.firstFailure?.({ resourceType: 'Patient', id: 'p1' })).toBe('resourceType');
    expect(compileCriteria('[Patient]').firstFailure?.(observation)).toBe('resourceType');
    expect(compileCriteria('[*]').firstFailure?.(observation)).toBeUndefined();
  });
});
