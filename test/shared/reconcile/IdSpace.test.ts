import { describe, expect, it } from 'vitest';
import { IdSpace } from '../../../shared/reconcile/IdSpace.js';
import { replicateId } from '../../../shared/replication/replicateId.js';

describe('IdSpace', () => {
  it('without replication maps ids to themselves and owns every id', () => {
    const ids = new IdSpace(undefined);
    expect(ids.rewrites).toBe(false);
    expect(ids.toHealthLake('Patient', '7')).toBe('7');
    expect(ids.toSource('Patient', 'CDR2-7')).toEqual(['CDR2-7']);
    const resource = { resourceType: 'Patient', id: '7' };
    expect(ids.toHealthLakeResource(resource)).toBe(resource);
  });

  it('with a prefix owns only ids carrying it, and maps them back', () => {
    const ids = new IdSpace({ idPrefix: 'CDR1-' });
    expect(ids.toHealthLake('Patient', '7')).toBe('CDR1-7');
    expect(ids.toSource('Patient', 'CDR1-7')).toEqual(['7']);
    expect(ids.toSource('Patient', 'CDR1-CDR1-7')).toEqual(['CDR1-7']);
    for (const foreign of ['CDR2-7', '7', 'CDR1-', 'cdr1-7', 'CDR10-7']) {
      expect(ids.owns('Patient', foreign)).toBe(false);
    }
    expect(
      ids.toHealthLakeResource({ resourceType: 'Observation', id: '1', subject: { reference: 'Patient/7' } }),
    ).toEqual({ resourceType: 'Observation', id: 'CDR1-1', subject: { reference: 'Patient/CDR1-7' } });
  });

  it('with a selector owns only prefixed ids whose un-prefixed Type/id it matches', () => {
    const ids = new IdSpace({ idPrefix: 'CDR1-', idPrefixSelector: '[a-zA-Z]+/[0-9]+' });
    expect(ids.toSource('Patient', 'CDR1-12')).toEqual(['12']);
    expect(ids.toSource('Patient', 'CDR1-abc')).toEqual([]); // never prefixed by this subscription
    expect(ids.toSource('Patient', 'abc')).toEqual([]); // written unprefixed: not attributable
    expect(ids.toHealthLake('Patient', 'abc')).toBe('abc');
  });

  it('with a strip prefix lists both source ids that land on one HealthLake id, the stripped form first', () => {
    const settings = { idPrefix: 'CDR1-', stripIdPrefix: 'X-' };
    const ids = new IdSpace(settings);
    expect(ids.toSource('Patient', 'CDR1-7')).toEqual(['X-7', '7']);
    for (const id of ids.toSource('Patient', 'CDR1-7'))
      expect(replicateId('Patient', id, settings)).toBe('CDR1-7');
    // `X-7` itself would be stripped, so only `X-X-7` lands on CDR1-X-7.
    expect(ids.toSource('Patient', 'CDR1-X-7')).toEqual(['X-X-7']);
    expect(new IdSpace({ stripIdPrefix: 'X-' }).toSource('Patient', '7')).toEqual(['X-7', '7']);
  });

  it('answers undefined where a replicated id or reference would not be a FHIR id, and refuses unsafe selectors', () => {
    const ids = new IdSpace({ idPrefix: 'P'.repeat(10) });
    expect(ids.toHealthLake('Patient', 'a'.repeat(60))).toBeUndefined();
    expect(ids.toSource('Patient', `${'P'.repeat(10)}${'a'.repeat(60)}`)).toEqual([]);
    expect(
      ids.toHealthLakeResource({
        resourceType: 'Observation',
        id: '1',
        subject: { reference: `Patient/${'a'.repeat(60)}` },
      }),
    ).toBeUndefined();
    expect(() => new IdSpace({ idPrefix: 'A-', idPrefixSelector: '(a)\\1' })).toThrow(/refused/);
  });

  it('never maps an id that is not a FHIR id (it would reach an _id= search), with or without replication', () => {
    for (const ids of [new IdSpace(undefined), new IdSpace({ idPrefix: 'CDR1-' })]) {
      for (const hostile of ['a,b', '1&_elements=x', '../x', 'a'.repeat(65), '']) {
        expect(ids.toHealthLake('Patient', hostile)).toBeUndefined();
        expect(ids.toSource('Patient', hostile)).toEqual([]);
      }
    }
    expect(new IdSpace({ idPrefix: 'CDR1-' }).toSource('Patient', 'CDR1-a,b')).toEqual([]);
  });
});
