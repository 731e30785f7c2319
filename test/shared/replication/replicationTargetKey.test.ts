import { describe, expect, it } from 'vitest';
import { ReplicationError } from '../../../shared/replication/errors.js';
import { isReplicating } from '../../../shared/replication/replicateId.js';
import { replicatedResourceId } from '../../../shared/replication/replicateResource.js';
import { replicationTargetKey } from '../../../shared/replication/replicationTargetKey.js';

const ENDPOINT = 'https://h/r4/';

describe('Function: replicationTargetKey', () => {
  it('is the endpoint alone when the settings rewrite nothing', () => {
    expect(replicationTargetKey(ENDPOINT)).toBe(ENDPOINT);
    expect(replicationTargetKey(ENDPOINT, {})).toBe(ENDPOINT);
    // A selector alone rewrites nothing.
    expect(replicationTargetKey(ENDPOINT, { idPrefixSelector: 'Patient/.*', idPrefix: '' })).toBe(ENDPOINT);
  });

  it('adds the settings that rewrite, in one canonical order, leaving out empty ones', () => {
    expect(replicationTargetKey(ENDPOINT, { idPrefix: 'A-' })).toBe(`${ENDPOINT}#{"idPrefix":"A-"}`);
    expect(
      replicationTargetKey(ENDPOINT, {
        stripReferenceBaseUrl: 'https://src/fhir',
        stripIdPrefix: 'OLD-',
        idPrefixSelector: 'Patient/.*',
        idPrefix: 'A-',
      }),
    ).toBe(
      `${ENDPOINT}#{"idPrefix":"A-","idPrefixSelector":"Patient/.*","stripIdPrefix":"OLD-","stripReferenceBaseUrl":"https://src/fhir"}`,
    );
    // A selector without a prefix selects nothing.
    expect(replicationTargetKey(ENDPOINT, { stripIdPrefix: 'OLD-', idPrefixSelector: 'Patient/.*' })).toBe(
      `${ENDPOINT}#{"stripIdPrefix":"OLD-"}`,
    );
    expect(replicationTargetKey(ENDPOINT, { stripReferenceBaseUrl: 'https://src/fhir', idPrefix: '' })).toBe(
      `${ENDPOINT}#{"stripReferenceBaseUrl":"https://src/fhir"}`,
    );
  });

  it('makes payload search criteria a target of their own', () => {
    expect(replicationTargetKey(ENDPOINT, undefined, 'Patient?_id=x')).toBe(
      `${ENDPOINT}#payload-search:Patient?_id=x`,
    );
    expect(replicationTargetKey(ENDPOINT, { idPrefix: 'A-' }, 'P?')).toBe(
      `${ENDPOINT}#{"idPrefix":"A-"}#payload-search:P?`,
    );
  });
});

describe('Function: isReplicating', () => {
  it('is true only when a setting rewrites ids or references', () => {
    expect(isReplicating(undefined)).toBe(false);
    expect(isReplicating({})).toBe(false);
    expect(isReplicating({ idPrefixSelector: 'x', idPrefix: '' })).toBe(false);
    expect(isReplicating({ idPrefix: 'A-' })).toBe(true);
    expect(isReplicating({ stripIdPrefix: 'A-' })).toBe(true);
    expect(isReplicating({ stripReferenceBaseUrl: 'https://src' })).toBe(true);
  });
});

describe('Function: replicatedResourceId', () => {
  it('answers the replicated id, or a ReplicationError giving its length and no value', () => {
    expect(replicatedResourceId('Patient', '1', { idPrefix: 'A-' })).toBe('A-1');
    expect(replicatedResourceId('Patient', 'x'.repeat(62), { idPrefix: 'A-' })).toHaveLength(64);
    const id = 'x'.repeat(63);
    expect(() => replicatedResourceId('Patient', id, { idPrefix: 'A-' })).toThrow(ReplicationError);
    expect(() => replicatedResourceId('Patient', id, { idPrefix: 'A-' })).toThrow(
      'Patient.id: the replicated id is 65 characters; FHIR ids hold at most 64',
    );
  });
});
