import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { isUrn, rewriteReferences } from '../../../../shared/ingest/routes/rewriteReferences.js';

const PATIENT_URN = 'urn:uuid:4f9bc1a2-0000-4000-8000-000000000001';
const ORG_OID = 'urn:oid:1.2.3.4';
const resolved = new Map([
  [PATIENT_URN, 'Patient/p1'],
  [ORG_OID, 'Organization/o1'],
]);

const rewrite = (value: unknown) => {
  const issues: OperationOutcomeIssue[] = [];
  rewriteReferences(value, resolved, 'Bundle.entry[1].resource', issues);
  return issues;
};

describe('Function: rewriteReferences', () => {
  it('rewrites urn:uuid and urn:oid references anywhere, inside arrays, extensions and contained resources', () => {
    const resource = {
      resourceType: 'Observation',
      subject: { reference: PATIENT_URN },
      performer: [{ reference: ORG_OID }, { reference: PATIENT_URN }],
      extension: [{ url: 'http://example.org/ext', valueReference: { reference: PATIENT_URN } }],
      contained: [{ resourceType: 'Provenance', target: [{ reference: ORG_OID }] }],
    };
    expect(rewrite(resource)).toEqual([]);
    expect(resource).toEqual({
      resourceType: 'Observation',
      subject: { reference: 'Patient/p1' },
      performer: [{ reference: 'Organization/o1' }, { reference: 'Patient/p1' }],
      extension: [{ url: 'http://example.org/ext', valueReference: { reference: 'Patient/p1' } }],
      contained: [{ resourceType: 'Provenance', target: [{ reference: 'Organization/o1' }] }],
    });
  });

  it('reports every unresolved urn reference at its own expression, array indices included', () => {
    const resource = {
      subject: { reference: 'urn:uuid:00000000-dead-4000-8000-000000000000' },
      performer: [{ reference: PATIENT_URN }, { reference: 'urn:oid:9.9' }],
    };
    expect(rewrite(resource)).toEqual([
      {
        severity: 'error',
        code: 'not-found',
        diagnostics: 'Reference to a urn:uuid that no entry of this Bundle has as its fullUrl',
        expression: ['Bundle.entry[1].resource.subject.reference'],
      },
      {
        severity: 'error',
        code: 'not-found',
        diagnostics: 'Reference to a urn:uuid that no entry of this Bundle has as its fullUrl',
        expression: ['Bundle.entry[1].resource.performer[1].reference'],
      },
    ]);
    expect(resource.performer[0]).toEqual({ reference: 'Patient/p1' });
  });

  it('leaves relative and absolute references, and urn values outside a reference, as they are', () => {
    const resource = {
      subject: { reference: 'Patient/p9' },
      focus: [{ reference: 'https://fhir.example.org/Patient/p9' }],
      identifier: [{ system: 'urn:ietf:rfc:3986', value: PATIENT_URN }],
      note: [{ text: 'urn:uuid:00000000-dead-4000-8000-000000000000' }],
    };
    const before = structuredClone(resource);
    expect(rewrite(resource)).toEqual([]);
    expect(resource).toEqual(before);
  });

  it('ignores a reference element that is not a string, and nulls and primitives in arrays', () => {
    const resource = {
      subject: { reference: 42 },
      basedOn: { reference: { nested: PATIENT_URN } },
      component: [null, 'text', 3, [{ reference: PATIENT_URN }]],
      empty: null,
    };
    expect(rewrite(resource)).toEqual([]);
    expect(resource.component[3]).toEqual([{ reference: 'Patient/p1' }]);
    expect(rewrite(null)).toEqual([]);
    expect(rewrite('urn:uuid:x')).toEqual([]);
  });
});

describe('Function: isUrn', () => {
  it('is true for urn:uuid and urn:oid only', () => {
    expect(isUrn(PATIENT_URN)).toBe(true);
    expect(isUrn(ORG_OID)).toBe(true);
    expect(isUrn('Patient/urn:oid:1')).toBe(false);
    expect(isUrn('urn:isbn:1')).toBe(false);
    expect(isUrn('')).toBe(false);
  });
});
