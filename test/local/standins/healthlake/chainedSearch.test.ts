import { describe, expect, it } from 'vitest';
import { FhirStore } from '../../../../local/standins/healthlake/index.js';

/** Two patients, each with an Observation; only the first patient has the MRN and the name Peter. */
const seeded = (): FhirStore => {
  const store = new FhirStore();
  store.put({
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: 'http://hospital', value: 'MRN-1' }],
    name: [{ family: 'Smith', given: ['Peter'] }],
  });
  store.put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Jones', given: ['Ann'] }] });
  store.put({ resourceType: 'Organization', id: 'org1', name: 'General' });
  for (const [id, patient] of [
    ['o1', 'p1'],
    ['o2', 'p2'],
  ]) {
    store.put({
      resourceType: 'Observation',
      id: id!,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/${patient}` },
    });
  }
  return store;
};

const ids = (store: FhirStore, type: string, query: Record<string, string[]>) =>
  store.search(type, query).resources.map((resource) => resource.id);

describe('FHIR stand-in search: chains and reverse chains', () => {
  it('evaluates a chain on a reference parameter through the resources it refers to', () => {
    const store = seeded();
    expect(ids(store, 'Observation', { 'subject.identifier': ['http://hospital|MRN-1'] })).toEqual(['o1']);
    expect(ids(store, 'Observation', { 'subject:Patient.name': ['peter'] })).toEqual(['o1']);
    expect(ids(store, 'Observation', { 'subject:Patient.name': ['nobody'] })).toEqual([]);
  });

  it('combines a chain with _id, as the deliverer asks for one resource', () => {
    const store = seeded();
    expect(
      ids(store, 'Observation', { _id: ['o1'], 'subject.identifier': ['http://hospital|MRN-1'] }),
    ).toEqual(['o1']);
    expect(
      ids(store, 'Observation', { _id: ['o2'], 'subject.identifier': ['http://hospital|MRN-1'] }),
    ).toEqual([]);
  });

  it('follows a change to the referenced resource: the chain reads current state', () => {
    const store = seeded();
    store.put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Peterson', given: ['Peter'] }] });
    expect(ids(store, 'Observation', { 'subject:Patient.name': ['peter'] })).toEqual(['o1', 'o2']);
  });

  it('evaluates _has through the resources that refer to the one searched', () => {
    const store = seeded();
    expect(ids(store, 'Patient', { '_has:Observation:subject:code': ['http://loinc.org|8867-4'] })).toEqual([
      'p1',
      'p2',
    ]);
    expect(ids(store, 'Patient', { '_has:Observation:subject:code': ['http://loinc.org|0000-0'] })).toEqual(
      [],
    );
  });

  it('refuses a chain on a parameter that is not a reference, and a bare _has', () => {
    const store = seeded();
    expect(() => store.search('Observation', { 'status.name': ['x'] })).toThrow(/Invalid chain/);
    expect(() => store.search('Patient', { _has: ['x'] })).toThrow(/not supported/);
  });
});
