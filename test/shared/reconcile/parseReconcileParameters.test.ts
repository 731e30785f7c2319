import { describe, expect, it } from 'vitest';
import { parseReconcileParameters } from '../../../shared/reconcile/parseReconcileParameters.js';
import { refusal } from '../../helpers/outcomeRefusal.js';

const subscription = { name: 'subscription', valueReference: { reference: 'Subscription/sub-1' } };
/** `aa`, `ba`, ... : distinct letters-only suffixes (resource type names hold no digits). */
const letters = (i: number) => String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26));
const body = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });

const refused = (input: unknown) => refusal(() => parseReconcileParameters(input));

describe('Function: parseReconcileParameters', () => {
  it('defaults to a compare of everything without content hashes', () => {
    expect(parseReconcileParameters(body(subscription))).toEqual({
      subscriptionId: 'sub-1',
      mode: 'compare',
      contentHash: false,
      scope: { resourceTypes: [], resourceIds: [], searchUrls: [] },
    });
  });

  it('reads every parameter, trimming values, keeping order and dropping repeated types and ids', () => {
    expect(
      parseReconcileParameters(
        body(
          { name: 'subscription', valueString: ' sub-2 ' },
          { name: 'mode', valueCode: 'repair' },
          { name: 'contentHash', valueBoolean: true },
          { name: 'resourceType', valueCode: 'Observation' },
          { name: 'resourceType', valueCode: 'Patient' },
          { name: 'resourceType', valueCode: 'Observation' },
          { name: 'searchUrl', valueUri: '/Observation?code=x' },
          { name: 'searchUrl', valueUrl: 'Encounter?status=finished' },
          { name: 'since', valueInstant: '2026-01-01T00:00:00Z' },
          { name: 'until', valueDateTime: '2026-02-01' },
        ),
      ),
    ).toEqual({
      subscriptionId: 'sub-2',
      mode: 'repair',
      contentHash: true,
      scope: {
        resourceTypes: ['Observation', 'Patient'],
        resourceIds: [],
        searchUrls: ['Observation?code=x', 'Encounter?status=finished'],
        since: '2026-01-01T00:00:00Z',
        until: '2026-02-01',
      },
    });
  });

  it('reads resource ids as Type/id from any string value, once each', () => {
    const input = parseReconcileParameters(
      body(
        subscription,
        { name: 'resourceId', valueString: 'Patient/a' },
        { name: 'resourceId', valueId: 'Patient/b' },
        { name: 'resourceId', valueReference: { reference: 'Patient/a' } },
      ),
    );
    expect(input.scope.resourceIds).toEqual(['Patient/a', 'Patient/b']);
  });

  it('takes a since given as a string, and contentHash false', () => {
    const input = parseReconcileParameters(
      body(
        subscription,
        { name: 'since', valueString: '2026-01-01T10:00:00.5+02:00' },
        { name: 'contentHash', valueBoolean: false },
      ),
    );
    expect(input.scope).toEqual({
      resourceTypes: [],
      resourceIds: [],
      searchUrls: [],
      since: '2026-01-01T10:00:00.5+02:00',
    });
    expect(input.contentHash).toBe(false);
  });

  it('reads repair-and-prune with its confirmation (unsignedInt or integer, zero included) and compare job', () => {
    for (const confirmation of [
      { name: 'pruneConfirmation', valueUnsignedInt: 0 },
      { name: 'pruneConfirmation', valueInteger: 0 },
    ]) {
      expect(
        parseReconcileParameters(
          body(subscription, { name: 'mode', valueCode: 'repair-and-prune' }, confirmation, {
            name: 'compareJob',
            valueId: 'job-1',
          }),
        ),
      ).toMatchObject({ mode: 'repair-and-prune', pruneConfirmation: 0, compareJobId: 'job-1' });
    }
  });

  it.each([
    ['a body that is not an object', 'Parameters', /must be a Parameters resource/, null],
    ['a body of another type', 'Parameters', /must be a Parameters resource/, { resourceType: 'Patient' }],
    [
      'parameter that is not an array',
      'Parameters.parameter',
      /must be an array/,
      { resourceType: 'Parameters', parameter: {} },
    ],
    ['no subscription', 'Parameters.parameter', /subscription parameter is required/, body()],
    [
      'a subscription that is not an id',
      'Parameters.parameter[0].value',
      /subscription must be/,
      body({ name: 'subscription', valueString: 'Subscription/a b' }),
    ],
    [
      'a subscription given twice',
      'Parameters.parameter[1].name',
      /subscription may be given once/,
      body(subscription, subscription),
    ],
    [
      'a mode given twice',
      'Parameters.parameter[2].name',
      /mode may be given once/,
      body(subscription, { name: 'mode', valueCode: 'compare' }, { name: 'mode', valueCode: 'repair' }),
    ],
    [
      'a mode without a value',
      'Parameters.parameter[1].value',
      /mode must be compare, repair or repair-and-prune/,
      body(subscription, { name: 'mode' }),
    ],
    [
      'a resourceType that is not a type',
      'Parameters.parameter[1].value',
      /resourceType must be a resource type name/,
      body(subscription, { name: 'resourceType', valueCode: 'patient' }),
    ],
    [
      'a resourceType without a value',
      'Parameters.parameter[1].value',
      /resourceType must be a resource type name/,
      body(subscription, { name: 'resourceType' }),
    ],
    [
      'a resourceId with a version',
      'Parameters.parameter[1].value',
      /resourceId must be a relative reference Type\/id/,
      body(subscription, { name: 'resourceId', valueString: 'Patient/1/_history/2' }),
    ],
    [
      'a resourceId without an id',
      'Parameters.parameter[1].value',
      /resourceId must be/,
      body(subscription, { name: 'resourceId', valueString: 'Patient' }),
    ],
    [
      'a resourceId of a lower-case type',
      'Parameters.parameter[1].value',
      /resourceId must be/,
      body(subscription, { name: 'resourceId', valueString: 'patient/1' }),
    ],
    [
      'a resourceId without a type',
      'Parameters.parameter[1].value',
      /resourceId must be/,
      body(subscription, { name: 'resourceId', valueString: '/1' }),
    ],
    [
      'a resourceId without a value',
      'Parameters.parameter[1].value',
      /resourceId must be/,
      body(subscription, { name: 'resourceId' }),
    ],
    [
      'an absolute searchUrl',
      'Parameters.parameter[1].value',
      /searchUrl must be a search Type\?params/,
      body(subscription, { name: 'searchUrl', valueString: 'https://x.test/Patient?a=1' }),
    ],
    [
      'a searchUrl with a space',
      'Parameters.parameter[1].value',
      /searchUrl must be/,
      body(subscription, { name: 'searchUrl', valueString: 'Patient?name=a b' }),
    ],
    [
      'a searchUrl with a fragment',
      'Parameters.parameter[1].value',
      /searchUrl must be/,
      body(subscription, { name: 'searchUrl', valueString: 'Patient?name=a#b' }),
    ],
    [
      'an empty searchUrl',
      'Parameters.parameter[1].value',
      /searchUrl must be/,
      body(subscription, { name: 'searchUrl', valueString: '/' }),
    ],
    [
      'an until that is not a dateTime',
      'Parameters.parameter[1].value',
      /until must be a dateTime/,
      body(subscription, { name: 'until', valueDateTime: '2026-13-45' }),
    ],
    [
      'a since with a time but no zone',
      'Parameters.parameter[1].value',
      /since must be a dateTime/,
      body(subscription, { name: 'since', valueDateTime: '2026-01-01T10:00' }),
    ],
    [
      'a since that is not a string',
      'Parameters.parameter[1].value',
      /since must be a dateTime/,
      body(subscription, { name: 'since', valueInteger: 2026 }),
    ],
    [
      'a since given twice',
      'Parameters.parameter[2].name',
      /since may be given once/,
      body(
        subscription,
        { name: 'since', valueDateTime: '2026-01-01' },
        { name: 'since', valueDateTime: '2026-01-02' },
      ),
    ],
    [
      'a since not before until',
      'Parameters.parameter',
      /since must be before until/,
      body(
        subscription,
        { name: 'since', valueDateTime: '2026-02-01' },
        { name: 'until', valueDateTime: '2026-02-01' },
      ),
    ],
    [
      'a contentHash that is not a boolean',
      'Parameters.parameter[1].valueBoolean',
      /contentHash must be a boolean/,
      body(subscription, { name: 'contentHash', valueString: 'true' }),
    ],
    [
      'a negative pruneConfirmation',
      'Parameters.parameter[1].value',
      /pruneConfirmation must be a non-negative integer/,
      body(subscription, { name: 'pruneConfirmation', valueInteger: -1 }),
    ],
    [
      'a fractional pruneConfirmation',
      'Parameters.parameter[1].value',
      /pruneConfirmation must be/,
      body(subscription, { name: 'pruneConfirmation', valueInteger: 1.5 }),
    ],
    [
      'a pruneConfirmation as text',
      'Parameters.parameter[1].value',
      /pruneConfirmation must be/,
      body(subscription, { name: 'pruneConfirmation', valueString: '3' }),
    ],
    [
      'a compareJob that is not an id',
      'Parameters.parameter[1].value',
      /compareJob must be the id of a compare job/,
      body(subscription, { name: 'compareJob', valueString: 'a/b' }),
    ],
    [
      'a parameter without a name',
      'Parameters.parameter[1].name',
      /Unknown parameter/,
      body(subscription, { valueString: 'x' }),
    ],
    [
      'a resourceId with a searchUrl',
      'Parameters.parameter',
      /resourceId cannot be combined with resourceType or searchUrl/,
      body(
        subscription,
        { name: 'resourceId', valueString: 'Patient/1' },
        { name: 'searchUrl', valueString: 'Patient?a=1' },
      ),
    ],
    [
      'repair-and-prune without compareJob',
      'Parameters.parameter',
      /requires pruneConfirmation .* and compareJob/,
      body(
        subscription,
        { name: 'mode', valueCode: 'repair-and-prune' },
        { name: 'pruneConfirmation', valueInteger: 1 },
      ),
    ],
    [
      'a pruneConfirmation outside repair-and-prune',
      'Parameters.parameter',
      /apply to repair-and-prune only/,
      body(subscription, { name: 'pruneConfirmation', valueInteger: 1 }),
    ],
    [
      'a compareJob outside repair-and-prune',
      'Parameters.parameter',
      /apply to repair-and-prune only/,
      body(subscription, { name: 'mode', valueCode: 'repair' }, { name: 'compareJob', valueId: 'job-1' }),
    ],
  ])('refuses %s with 400 at %s', (_what, expression, diagnostics, input) => {
    const found = refused(input);
    expect(found.status).toBe(400);
    expect(found.diagnostics).toMatch(diagnostics);
    expect(found.expression).toBe(expression);
  });

  it('never quotes a refused value', () => {
    const found = refused(
      body(subscription, { name: 'searchUrl', valueString: 'Patient?name=SECRET VALUE' }),
    );
    expect(found.diagnostics).not.toContain('SECRET');
  });

  it('refuses more than 1,000 resource ids and more than 150 searches with 413', () => {
    const ids = Array.from({ length: 1001 }, (_, i) => ({
      name: 'resourceId',
      valueString: `Patient/p${i}`,
    }));
    expect(refused(body(subscription, ...ids)).status).toBe(413);
    expect(() => parseReconcileParameters(body(subscription, ...ids.slice(0, 1000)))).not.toThrow();
    const types = Array.from({ length: 100 }, (_, i) => ({
      name: 'resourceType',
      valueCode: `Type${letters(i)}`,
    }));
    const urls = Array.from({ length: 51 }, (_, i) => ({ name: 'searchUrl', valueString: `Patient?a=${i}` }));
    expect(refused(body(subscription, ...types, ...urls)).status).toBe(413);
    expect(() => parseReconcileParameters(body(subscription, ...types, ...urls.slice(0, 50)))).not.toThrow();
  });
});
