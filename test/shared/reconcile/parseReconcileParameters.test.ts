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

  it('leaves out pruneConfirmation and compareJobId unless given, and reads a body without parameters as missing the subscription', () => {
    const input = parseReconcileParameters(body({ name: 'subscription', valueString: 'sub-1' }));
    expect(Object.keys(input).sort()).toEqual(['contentHash', 'mode', 'scope', 'subscriptionId']);
    expect(Object.keys(input.scope).sort()).toEqual(['resourceIds', 'resourceTypes', 'searchUrls']);
    const found = refused({ resourceType: 'Parameters' });
    expect([found.status, found.diagnostics, found.expression]).toEqual([
      400,
      'The subscription parameter is required',
      'Parameters.parameter',
    ]);
  });

  it('strips only a leading Subscription/ and leading slashes of a search', () => {
    expect(refused(body({ name: 'subscription', valueString: 'xSubscription/sub-1' })).diagnostics).toBe(
      'subscription must be Subscription/{id} or an id',
    );
    const input = parseReconcileParameters(
      body(
        subscription,
        { name: 'searchUrl', valueString: '//Observation?code=http://loinc.org|1234-5' },
        { name: 'searchUrl', valueString: 'Observation?subject=Patient/a//b' },
      ),
    );
    expect(input.scope.searchUrls).toEqual([
      'Observation?code=http://loinc.org|1234-5',
      'Observation?subject=Patient/a//b',
    ]);
  });

  it.each([
    [
      'a subscription without a value',
      { name: 'subscription' },
      'subscription must be Subscription/{id} or an id',
      0,
    ],
    [
      'a searchUrl without a value',
      { name: 'searchUrl' },
      'searchUrl must be a search Type?params (e.g. Observation?date=ge2020)',
      1,
    ],
    [
      'a since that is not a dateTime',
      { name: 'since', valueString: 'yesterday' },
      'since must be a dateTime',
      1,
    ],
    [
      'an until that does not parse',
      { name: 'until', valueDateTime: '2024-13-45T00:00:00Z' },
      'until must be a dateTime',
      1,
    ],
    [
      'a negative pruneConfirmation',
      { name: 'pruneConfirmation', valueInteger: -1 },
      'pruneConfirmation must be a non-negative integer',
      1,
    ],
    [
      'a fractional pruneConfirmation',
      { name: 'pruneConfirmation', valueInteger: 1.5 },
      'pruneConfirmation must be a non-negative integer',
      1,
    ],
    [
      'a pruneConfirmation as text',
      { name: 'pruneConfirmation', valueString: '3' },
      'pruneConfirmation must be a non-negative integer',
      1,
    ],
    [
      'an entry that is not an object',
      null,
      'Unknown parameter: subscription, mode, resourceType, resourceId, searchUrl, since, until, contentHash, pruneConfirmation and compareJob are supported',
      1,
    ],
  ])('refuses %s, naming it', (_what, parameter, diagnostics, index) => {
    const found = refused(index === 0 ? body(parameter) : body(subscription, parameter));
    expect([found.status, found.diagnostics]).toEqual([400, diagnostics]);
    expect(found.expression).toBe(`Parameters.parameter[${index}].${parameter === null ? 'name' : 'value'}`);
  });

  it.each(['since', 'until', 'contentHash', 'pruneConfirmation'])('takes %s once', (name) => {
    const parameter = {
      name,
      valueDateTime: '2024-01-01T00:00:00Z',
      valueBoolean: true,
      valueInteger: 1,
    };
    const found = refused(body(subscription, parameter, parameter));
    expect([found.diagnostics, found.expression]).toEqual([
      `${name} may be given once`,
      'Parameters.parameter[2].name',
    ]);
  });

  it('refuses a window that ends before it starts, or repair-and-prune without its confirmation, and says why', () => {
    const window = refused(
      body(
        subscription,
        { name: 'since', valueDateTime: '2024-02-01T00:00:00Z' },
        { name: 'until', valueDateTime: '2024-02-01T00:00:00Z' },
      ),
    );
    expect([window.status, window.diagnostics]).toEqual([400, 'since must be before until']);
    const prune = refused(
      body(
        subscription,
        { name: 'mode', valueCode: 'repair-and-prune' },
        { name: 'compareJob', valueId: 'job-1' },
      ),
    );
    expect(prune.diagnostics).toBe(
      'repair-and-prune requires pruneConfirmation (the only-in-HealthLake count a compare reported) and compareJob (that compare)',
    );
  });

  it('names the limits in its 413 answers', () => {
    const ids = Array.from({ length: 1001 }, (_, i) => ({
      name: 'resourceId',
      valueString: `Patient/p${i}`,
    }));
    expect(refused(body(subscription, ...ids)).diagnostics).toBe(
      'At most 1000 resourceId parameters per request',
    );
    const urls = Array.from({ length: 151 }, (_, i) => ({
      name: 'searchUrl',
      valueString: `Patient?a=${i}`,
    }));
    expect(refused(body(subscription, ...urls)).diagnostics).toBe(
      'At most 150 resourceType and searchUrl parameters per request',
    );
  });
});
