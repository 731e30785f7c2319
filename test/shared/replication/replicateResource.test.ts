import { describe, expect, it } from 'vitest';
import { ReplicationError } from '../../../shared/replication/errors.js';
import { replicateId } from '../../../shared/replication/replicateId.js';
import { replicateReference, replicateResource } from '../../../shared/replication/replicateResource.js';

const NUMERIC = '[a-zA-Z]+/[0-9]+';

describe('Function: replicateId', () => {
  it('adds replicate-id-prefix to every id', () => {
    expect(replicateId('Patient', '123', { idPrefix: 'CDR1-' })).toBe('CDR1-123');
    expect(replicateId('Patient', 'abc', { idPrefix: 'CDR1-' })).toBe('CDR1-abc');
  });

  it('adds the prefix only where replicate-id-prefix-selector fully matches Type/id', () => {
    const settings = { idPrefix: 'CDR1-', idPrefixSelector: NUMERIC };
    expect(replicateId('Patient', '123', settings)).toBe('CDR1-123');
    expect(replicateId('Patient', 'abc', settings)).toBe('abc');
    // A partial match is not a match: `12a` contains digits but is not all digits.
    expect(replicateId('Patient', '12a', settings)).toBe('12a');
    expect(replicateId('Patient', '1', { idPrefix: 'P-', idPrefixSelector: 'Patient/.*' })).toBe('P-1');
    expect(replicateId('Observation', '1', { idPrefix: 'P-', idPrefixSelector: 'Patient/.*' })).toBe('1');
  });

  it('removes replicate-strip-id-prefix, never leaving an empty id', () => {
    expect(replicateId('Patient', 'OLD-7', { stripIdPrefix: 'OLD-' })).toBe('7');
    expect(replicateId('Patient', 'NEW-7', { stripIdPrefix: 'OLD-' })).toBe('NEW-7');
    expect(replicateId('Patient', 'OLD-', { stripIdPrefix: 'OLD-' })).toBe('OLD-');
  });

  it('strips before it prefixes, so one prefix can replace another', () => {
    expect(
      replicateId('Patient', 'A-7', { stripIdPrefix: 'A-', idPrefix: 'B-', idPrefixSelector: NUMERIC }),
    ).toBe('B-7');
  });
});

describe('Function: replicateReference', () => {
  it('makes references under replicate-strip-reference-base-url relative (with or without a trailing slash)', () => {
    for (const base of ['https://src.example.org/fhir', 'https://src.example.org/fhir/']) {
      expect(
        replicateReference('https://src.example.org/fhir/Patient/1', { stripReferenceBaseUrl: base }, 'x'),
      ).toBe('Patient/1');
    }
    expect(
      replicateReference(
        'https://other.example.org/fhir/Patient/1',
        { stripReferenceBaseUrl: 'https://src.example.org/fhir' },
        'x',
      ),
    ).toBe('https://other.example.org/fhir/Patient/1');
  });

  it('prefixes relative references, keeping a version suffix', () => {
    expect(replicateReference('Patient/1', { idPrefix: 'A-' }, 'x')).toBe('Patient/A-1');
    expect(replicateReference('Patient/1/_history/3', { idPrefix: 'A-' }, 'x')).toBe(
      'Patient/A-1/_history/3',
    );
    expect(
      replicateReference(
        'https://src.example.org/fhir/Patient/1',
        { stripReferenceBaseUrl: 'https://src.example.org/fhir', idPrefix: 'A-' },
        'x',
      ),
    ).toBe('Patient/A-1');
  });

  it('leaves contained, urn and foreign absolute references alone', () => {
    for (const reference of [
      '#med1',
      'urn:uuid:8b5b2f5e-1111-4222-8333-944455556666',
      'https://elsewhere.org/Patient/1',
    ]) {
      expect(replicateReference(reference, { idPrefix: 'A-' }, 'x')).toBe(reference);
    }
  });

  it('refuses a reference whose id would exceed 64 characters, naming the path only', () => {
    const id = '9'.repeat(62);
    expect(() =>
      replicateReference(`Patient/${id}`, { idPrefix: 'ABC-' }, 'Observation.subject.reference'),
    ).toThrow(ReplicationError);
    const thrown = (() => {
      try {
        replicateReference(`Patient/${id}`, { idPrefix: 'ABC-' }, 'Observation.subject.reference');
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    expect(thrown?.message).toContain('Observation.subject.reference');
    expect(thrown?.message).not.toContain(id);
  });
});

describe('Function: replicateResource', () => {
  it('rewrites the id and every Reference.reference: nested, in extensions, in contained resources', () => {
    const observation = {
      resourceType: 'Observation',
      id: '3',
      subject: { reference: 'Patient/2' },
      performer: [{ reference: 'Practitioner/9' }, { reference: '#p1' }],
      extension: [{ url: 'http://example.org/x', valueReference: { reference: 'Location/4' } }],
      contained: [
        {
          resourceType: 'Practitioner',
          id: 'p1',
          extension: [{ url: 'http://e/y', valueReference: { reference: 'Organization/5' } }],
        },
      ],
      hasMember: [{ reference: 'Observation/abc' }],
    };
    const settings = { idPrefix: 'CDR1-', idPrefixSelector: NUMERIC };
    const result = replicateResource(observation, settings);
    expect(result).toEqual({
      ...observation,
      id: 'CDR1-3',
      subject: { reference: 'Patient/CDR1-2' },
      performer: [{ reference: 'Practitioner/CDR1-9' }, { reference: '#p1' }],
      extension: [{ url: 'http://example.org/x', valueReference: { reference: 'Location/CDR1-4' } }],
      contained: [
        // The contained resource keeps its local id, so `#p1` still resolves.
        {
          resourceType: 'Practitioner',
          id: 'p1',
          extension: [{ url: 'http://e/y', valueReference: { reference: 'Organization/CDR1-5' } }],
        },
      ],
      hasMember: [{ reference: 'Observation/abc' }],
    });
    expect(observation.id).toBe('3');
    expect(observation.subject.reference).toBe('Patient/2');
  });

  it('rewrites references inside the entries of a Bundle resource', () => {
    const bundle = {
      resourceType: 'Bundle',
      id: '10',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Encounter',
            id: 'e',
            subject: { reference: 'http://src/fhir/Patient/2' },
          },
        },
      ],
    };
    const result = replicateResource(bundle, { idPrefix: 'S-', stripReferenceBaseUrl: 'http://src/fhir' });
    expect(result.id).toBe('S-10');
    expect(result.entry[0]?.resource.subject.reference).toBe('Patient/S-2');
  });

  it('refuses a resource whose id would exceed 64 characters', () => {
    expect(() =>
      replicateResource({ resourceType: 'Patient', id: 'x'.repeat(60) }, { idPrefix: 'LONG-' }),
    ).toThrow(/at most 64/);
  });

  it('changes nothing without settings that rewrite', () => {
    const patient = { resourceType: 'Patient', id: '1', link: [{ other: { reference: 'Patient/2' } }] };
    expect(replicateResource(patient, {})).toEqual(patient);
  });
});
