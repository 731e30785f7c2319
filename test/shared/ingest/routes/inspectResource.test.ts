import { describe, expect, it } from 'vitest';
import {
  inspectResource,
  issue,
  latestLastUpdated,
} from '../../../../shared/ingest/routes/inspectResource.js';
import { observation, patient } from '../../../helpers/ingestFakes.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const LATEST = NOW.getTime() + 300_000;

const refused = (code: string, diagnostics: string, expression: string) => ({
  ok: false,
  issues: [{ severity: 'error', code, diagnostics, expression: [expression] }],
});

describe('Function: latestLastUpdated', () => {
  it('is the clock plus the allowed skew in seconds', () => {
    expect(latestLastUpdated({ now: () => NOW, limits: { maxClockSkewSeconds: 300 } })).toBe(LATEST);
    expect(latestLastUpdated({ now: () => NOW, limits: { maxClockSkewSeconds: 0 } })).toBe(NOW.getTime());
  });
});

describe('Function: issue', () => {
  it('is an error issue at one expression', () => {
    expect(issue('invalid', 'Bad', 'Patient.id')).toEqual({
      severity: 'error',
      code: 'invalid',
      diagnostics: 'Bad',
      expression: ['Patient.id'],
    });
  });
});

describe('Function: inspectResource', () => {
  it('returns the resource as it will be recorded', () => {
    expect(inspectResource(patient(), { root: 'Patient', urlType: 'Patient', urlId: 'p1' })).toEqual({
      ok: true,
      resource: patient(),
    });
  });

  it.each([null, undefined, 'Patient', 7, [patient()]])('requires a JSON object (%s)', (value) => {
    expect(inspectResource(value, { root: 'Bundle.entry[0].resource' })).toEqual(
      refused('structure', 'A FHIR resource (a JSON object) is required', 'Bundle.entry[0].resource'),
    );
  });

  it.each([{}, { resourceType: 7 }, { resourceType: ['Patient'] }])(
    'requires a resourceType string',
    (value) => {
      expect(inspectResource(value, { root: 'Patient' })).toEqual(
        refused('required', 'resourceType is missing', 'Patient.resourceType'),
      );
    },
  );

  it.each(['Patientt', 'patient', 'Patient/x', 'DomainResource', 'Resource'])(
    'refuses %s, which is no concrete R4 resource type, even unvalidated',
    (resourceType) => {
      expect(inspectResource({ resourceType, id: 'x' }, { root: 'Patient', validate: false })).toEqual(
        refused('not-supported', 'resourceType is not a FHIR R4 resource type', 'Patient.resourceType'),
      );
    },
  );

  it('refuses non-clinical types, pointing Subscriptions to their own route', () => {
    expect(inspectResource({ resourceType: 'Subscription', id: 's' }, { root: 'Patient' })).toEqual(
      refused(
        'not-supported',
        'Subscription resources are not replicated through this interaction (use PUT/POST [base]/Subscription)',
        'Patient.resourceType',
      ),
    );
    expect(inspectResource({ resourceType: 'Bundle', id: 'b' }, { root: 'X' })).toEqual(
      refused(
        'not-supported',
        'Bundle resources are not replicated through this interaction',
        'X.resourceType',
      ),
    );
  });

  it('refuses a body whose type disagrees with the URL, naming both types', () => {
    expect(inspectResource(observation({ id: 'p1' }), { root: 'Patient', urlType: 'Patient' })).toEqual(
      refused(
        'invalid',
        'resourceType Observation does not match the URL type Patient',
        'Patient.resourceType',
      ),
    );
  });

  it('takes any known type and the body id when the URL names neither', () => {
    expect(inspectResource(observation({ id: 'o1' }), { root: 'Bundle.entry[0].resource' })).toEqual({
      ok: true,
      resource: observation({ id: 'o1' }),
    });
  });

  it('replaces the body id with the assigned id of a create', () => {
    expect(
      inspectResource(patient({ id: 'ignored' }), {
        root: 'Patient',
        urlType: 'Patient',
        assignedId: 'new-1',
      }),
    ).toEqual({ ok: true, resource: patient({ id: 'new-1' }) });
    expect(inspectResource(patient({ id: undefined }), { root: 'Patient', assignedId: 'new-2' })).toEqual({
      ok: true,
      resource: patient({ id: 'new-2' }),
    });
  });

  it('takes the URL id for a body without one, and refuses a different one', () => {
    const { id: _id, ...withoutId } = patient();
    expect(inspectResource(withoutId, { root: 'Patient', urlType: 'Patient', urlId: 'p7' })).toEqual({
      ok: true,
      resource: patient({ id: 'p7' }),
    });
    expect(inspectResource(patient(), { root: 'Patient', urlType: 'Patient', urlId: 'p7' })).toEqual(
      refused('invalid', 'Resource id does not match the id in the URL', 'Patient.id'),
    );
  });

  it.each([undefined, '', '..', 'a/b', 7, 'x'.repeat(65)])('refuses a missing or invalid id (%s)', (id) => {
    expect(inspectResource(patient({ id }), { root: 'Bundle.entry[2].resource' })).toEqual(
      refused(
        'invalid',
        'Resource id is missing or not a valid FHIR id ([A-Za-z0-9-.]{1,64})',
        'Bundle.entry[2].resource.id',
      ),
    );
  });

  describe('meta.lastUpdated in the future', () => {
    const at = (instant: number) => patient({ meta: { lastUpdated: new Date(instant).toISOString() } });

    it('refuses (422) a lastUpdated beyond the allowed skew', () => {
      expect(inspectResource(at(LATEST + 1), { root: 'Patient', latestLastUpdated: LATEST })).toEqual({
        ok: false,
        status: 422,
        issues: [
          {
            severity: 'error',
            code: 'business-rule',
            diagnostics:
              'meta.lastUpdated lies further in the future than the allowed clock skew (configuration key ingest.maxClockSkewSeconds)',
            expression: ['Patient.meta.lastUpdated'],
          },
        ],
      });
    });

    it('accepts a lastUpdated exactly at the limit, and any when no limit is given', () => {
      expect(inspectResource(at(LATEST), { root: 'Patient', latestLastUpdated: LATEST })).toEqual({
        ok: true,
        resource: at(LATEST),
      });
      expect(inspectResource(at(LATEST + 86_400_000), { root: 'Patient' })).toMatchObject({ ok: true });
    });

    it('leaves a lastUpdated that is no string to the validator', () => {
      // Read as a date string, 2099 would lie in the future.
      const numeric = patient({ meta: { lastUpdated: 2099 } });
      expect(
        inspectResource(numeric, { root: 'Patient', latestLastUpdated: LATEST, validate: false }),
      ).toEqual({ ok: true, resource: numeric });
      expect(inspectResource(numeric, { root: 'Patient', latestLastUpdated: LATEST })).toMatchObject({
        ok: false,
        issues: [{ code: 'structure', expression: ['Patient.meta.lastUpdated'] }],
      });
    });
  });

  it('runs the structure validator unless told not to', () => {
    const invalid = patient({ gender: 7 });
    expect(inspectResource(invalid, { root: 'Patient' })).toMatchObject({
      ok: false,
      issues: [{ severity: 'error', code: 'structure', expression: ['Patient.gender'] }],
    });
    expect(inspectResource(invalid, { root: 'Patient', validate: true })).toMatchObject({ ok: false });
    expect(inspectResource(invalid, { root: 'Patient', validate: false })).toEqual({
      ok: true,
      resource: invalid,
    });
  });
});
