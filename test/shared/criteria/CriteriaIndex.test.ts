import { describe, expect, it } from 'vitest';
import { CriteriaIndex, compileCriteria } from '../../../shared/criteria/index.js';
import type { CompiledCriteria } from '../../../shared/criteria/types.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { makeObservation, makePatient } from '../../helpers/criteriaResources.js';

/** Wraps criteria to count evaluations. */
const counting = (criteria: string, calls: string[], id: string): CompiledCriteria => {
  const compiled = compileCriteria(criteria);
  return {
    ...compiled,
    matches: (resource: FhirResource) => {
      calls.push(id);
      return compiled.matches(resource);
    },
  };
};

describe('Class: CriteriaIndex', () => {
  it('returns the ids of matching subscriptions, typed and wildcard', () => {
    const index = new CriteriaIndex();
    index.set('all', compileCriteria('[*]'));
    index.set('final-obs', compileCriteria('Observation?status=final'));
    index.set('prelim-obs', compileCriteria('Observation?status=preliminary'));
    index.set('patients', compileCriteria('[Patient,Practitioner]'));
    expect(index.match(makeObservation()).sort()).toEqual(['all', 'final-obs']);
    expect(index.match(makePatient()).sort()).toEqual(['all', 'patients']);
    expect(index.match({ resourceType: 'Subscription', id: 's' })).toEqual([]);
    expect(index.size).toBe(4);
  });

  it('only evaluates criteria whose types could match', () => {
    const calls: string[] = [];
    const index = new CriteriaIndex();
    index.set('obs', counting('Observation?status=final', calls, 'obs'));
    index.set('pat', counting('Patient?active=true', calls, 'pat'));
    index.set('any', counting('[*]', calls, 'any'));
    index.match(makePatient());
    expect(calls.sort()).toEqual(['any', 'pat']);
  });

  it('replaces and deletes subscriptions', () => {
    const index = new CriteriaIndex();
    index.set('s1', compileCriteria('Observation?status=final'));
    index.set('s1', compileCriteria('Patient?active=true'));
    expect(index.match(makeObservation())).toEqual([]);
    expect(index.match(makePatient())).toEqual(['s1']);
    expect(index.delete('s1')).toBe(true);
    expect(index.delete('s1')).toBe(false);
    expect(index.match(makePatient())).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('keeps the other subscriptions of a type when one is deleted', () => {
    const index = new CriteriaIndex();
    index.set('a', compileCriteria('Observation?status=final'));
    index.set('b', compileCriteria('Observation?code=1234-5'));
    index.set('any-1', compileCriteria('[*]'));
    index.set('any-2', compileCriteria('[*]'));
    expect(index.delete('a')).toBe(true);
    expect(index.delete('any-1')).toBe(true);
    expect(index.match(makeObservation())).toEqual(['b', 'any-2']);
    expect(index.delete('any-2')).toBe(true);
    expect(index.match(makeObservation())).toEqual(['b']);
  });

  it('gives the criteria of a subscription by id', () => {
    const index = new CriteriaIndex();
    const criteria = compileCriteria('Observation?status=final');
    index.set('s1', criteria);
    expect(index.get('s1')).toBe(criteria);
    expect(index.get('s2')).toBeUndefined();
    index.delete('s1');
    expect(index.get('s1')).toBeUndefined();
  });
});

describe('Class: CriteriaIndex (memory)', () => {
  it('holds only the subscriptions it has now: replacing and removing many leaves no empty buckets', () => {
    const index = new CriteriaIndex();
    const types = ['Patient', 'Observation', 'Encounter', 'Condition', 'Procedure'];
    // 5,000 subscriptions come and go, each replaced once with other criteria before it is removed.
    for (let n = 0; n < 5_000; n += 1) {
      const id = `sub-${n}`;
      index.set(id, compileCriteria(`[${types[n % 5]},${types[(n + 1) % 5]}]`));
      index.set(id, compileCriteria(n % 7 ? `${types[(n + 2) % 5]}?_id=x${n}` : '[*]'));
      if (n >= 3) index.delete(`sub-${n - 3}`);
    }
    expect(index.size).toBe(3);
    expect(index.bucketCount).toBeLessThanOrEqual(3);
    for (let n = 4_997; n < 5_000; n += 1) index.delete(`sub-${n}`);
    expect([index.size, index.bucketCount]).toEqual([0, 0]);
  });
});
