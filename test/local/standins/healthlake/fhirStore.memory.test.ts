import { describe, expect, it } from 'vitest';
import { FhirStore } from '../../../../local/standins/healthlake/fhirStore.js';

// What the stand-in's store holds after a long run: its resources, not every write it was sent.

const patient = (id: string, index: number) => ({
  resourceType: 'Patient' as const,
  id,
  birthDate: `1970-01-${String((index % 28) + 1).padStart(2, '0')}`,
});

describe('FhirStore (memory)', () => {
  it('keeps the newest versions of a resource, up to its limit', () => {
    const store = new FhirStore({ maxVersionsPerResource: 10 });
    for (let index = 0; index < 1_000; index += 1) store.put(patient('p1', index));
    expect(store.footprint).toEqual({ resources: 1, versions: 10, slots: 1 });
    expect(store.read('Patient', 'p1').meta?.versionId).toBe('1000');
    expect(store.history('Patient', 'p1').map((version) => version.versionId)).toEqual(
      Array.from({ length: 10 }, (_, index) => String(1_000 - index)),
    );
    expect(() => store.vread('Patient', 'p1', '1')).toThrow(/not known/);
  });

  it('keeps 100 versions by default', () => {
    const store = new FhirStore();
    for (let index = 0; index < 250; index += 1) store.put(patient('p1', index));
    expect(store.footprint.versions).toBe(100);
  });

  it('gives a re-created resource its old place, so deletes and re-creates do not pile up', () => {
    const store = new FhirStore({ maxVersionsPerResource: 4 });
    store.put(patient('a', 0));
    for (let index = 0; index < 1_000; index += 1) {
      store.put(patient('p1', index));
      store.delete('Patient', 'p1');
    }
    store.put(patient('p1', 0));
    store.put(patient('z', 0));
    expect(store.footprint).toEqual({ resources: 3, versions: 1 + 4 + 1, slots: 3 });
    expect(store.read('Patient', 'p1').meta?.versionId).toBe('2001');
    const page = store.search('Patient', { _count: ['10'] });
    expect(page.resources.map((resource) => resource.id)).toEqual(['a', 'p1', 'z']);
  });
});
