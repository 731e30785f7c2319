import { describe, expect, it } from 'vitest';
import { InMemoryDeliveredVersions } from '../../../../shared/versions/DeliveredVersions.js';
import type { FhirRequest } from '../../../../shared/http/types.js';
import { handleResetVersion } from '../../../../shared/ingest/routes/handleResetVersion.js';
import { InMemoryVersionLedger } from '../../../../shared/versions/InMemoryVersionLedger.js';
import { InMemoryVersionStateReset } from '../../../../shared/versions/InMemoryVersionStateReset.js';
import type { ResetScope } from '../../../../shared/versions/VersionStateReset.js';
import { ENDPOINT_A, ENDPOINT_B } from '../../../helpers/ingestFakes.js';

const PINNED = { versionId: '999999999', lastUpdated: '2026-06-01T11:00:00.000Z', deleted: false };

const request = (method: FhirRequest['method'], path: string): FhirRequest => ({
  method,
  path,
  query: {},
  headers: {},
  requestId: 'req-7',
  baseUrl: 'http://x/fhir',
  caller: { principal: 'operator', scope: 'admin' },
});

/** The route over in-memory state, with what it reset and logged. */
const setup = async () => {
  const ledger = new InMemoryVersionLedger();
  const delivered = new InMemoryDeliveredVersions();
  for (const key of ['Patient/p1', 'Patient/p2', 'Observation/o1']) {
    await ledger.recordSourceVersion(key, PINNED);
    for (const endpoint of [ENDPOINT_A, ENDPOINT_B])
      await delivered.record({ resourceKey: key, endpoint }, PINNED);
  }
  const inner = new InMemoryVersionStateReset(ledger, delivered);
  const scopes: ResetScope[] = [];
  const logs: Array<{ message: string; attributes: Record<string, unknown> }> = [];
  const deps = {
    reset: { reset: (scope: ResetScope) => (scopes.push(scope), inner.reset(scope)) },
    logger: {
      info: (message: string, attributes: Record<string, unknown>) => logs.push({ message, attributes }),
    },
  };
  const route = (method: FhirRequest['method'], path: string) =>
    handleResetVersion(request(method, path), deps);
  return { ledger, scopes, logs, route };
};

const diagnostics = (body: unknown) =>
  (body as { issue: Array<{ diagnostics: string }> }).issue[0]?.diagnostics;

describe('Function: handleResetVersion', () => {
  it('resets one resource, whatever slashes surround the path, and says what it cleared', async () => {
    const { ledger, scopes, logs, route } = await setup();
    const response = await route('POST', '//Patient/p1/$reset-version//');
    expect(response?.status).toBe(200);
    expect(diagnostics(response?.body)).toBe(
      'Reset Patient/p1: 1 version ledger entry and 2 delivered-version record(s) cleared; the next write is recorded and delivered whatever its version.',
    );
    expect(scopes).toStrictEqual([{ resourceType: 'Patient', id: 'p1' }]);
    expect([...(await ledger.getLatest(['Patient/p1', 'Patient/p2'])).keys()]).toEqual(['Patient/p2']);
    expect(logs).toStrictEqual([
      {
        message: 'Version state reset',
        attributes: {
          requestId: 'req-7',
          resourceType: 'Patient',
          id: 'p1',
          scope: 'resource',
          ledgerEntries: 1,
          deliveredVersions: 2,
        },
      },
    ]);
  });

  it('resets every resource of a type, counting ledger entries in the plural', async () => {
    const { ledger, scopes, logs, route } = await setup();
    const response = await route('POST', '/Patient/$reset-version');
    expect(response?.status).toBe(200);
    expect(diagnostics(response?.body)).toBe(
      'Reset every Patient: 2 version ledger entries and 4 delivered-version record(s) cleared; the next write is recorded and delivered whatever its version.',
    );
    expect(scopes).toStrictEqual([{ resourceType: 'Patient' }]);
    expect(logs[0]?.attributes).toStrictEqual({
      requestId: 'req-7',
      resourceType: 'Patient',
      scope: 'type',
      ledgerEntries: 2,
      deliveredVersions: 4,
    });
    expect([...(await ledger.getLatest(['Patient/p1', 'Patient/p2', 'Observation/o1'])).keys()]).toEqual([
      'Observation/o1',
    ]);
  });

  it('says "0 ... entries" when nothing was pinned', async () => {
    const { route } = await setup();
    const response = await route('POST', 'Patient/unknown/$reset-version');
    expect(diagnostics(response?.body)).toContain(
      'Reset Patient/unknown: 0 version ledger entries and 0 delivered-version record(s)',
    );
  });

  it('leaves other paths to other routes', async () => {
    const { route, scopes } = await setup();
    expect(await route('POST', 'Patient/p1')).toBeUndefined();
    expect(await route('POST', 'Patient/p1/_history/1/$reset-version')).toBeUndefined();
    expect(await route('POST', '$reset-version')).toBeUndefined();
    expect(scopes).toEqual([]);
  });

  it('refuses other methods, unknown or non-clinical types and invalid ids, resetting nothing', async () => {
    const { route, scopes, logs } = await setup();
    const get = await route('GET', 'Patient/p1/$reset-version');
    expect(get?.status).toBe(405);
    expect(diagnostics(get?.body)).toBe('$reset-version is invoked with POST');
    for (const path of ['Nonsense/$reset-version', 'Subscription/$reset-version', 'patient/$reset-version']) {
      const response = await route('POST', path);
      expect(response?.status).toBe(404);
      expect(diagnostics(response?.body)).toBe(
        'The URL does not name a FHIR R4 resource type the connector replicates',
      );
    }
    const badId = await route('POST', 'Patient/bad_id!/$reset-version');
    expect(badId?.status).toBe(400);
    expect(diagnostics(badId?.body)).toBe('The id in the URL is not a valid FHIR id ([A-Za-z0-9-.]{1,64})');
    expect(scopes).toEqual([]);
    expect(logs).toEqual([]);
  });
});

describe('Class: InMemoryVersionStateReset', () => {
  it('resets one resource only, and counts no delivered versions when it keeps none', async () => {
    const ledger = new InMemoryVersionLedger();
    for (const key of ['Patient/a', 'Patient/ab', 'Observation/a'])
      await ledger.recordSourceVersion(key, PINNED);
    const reset = new InMemoryVersionStateReset(ledger);
    expect(await reset.reset({ resourceType: 'Patient', id: 'a' })).toStrictEqual({
      ledgerEntries: 1,
      deliveredVersions: 0,
    });
    expect([...(await ledger.getLatest(['Patient/a', 'Patient/ab', 'Observation/a'])).keys()]).toEqual([
      'Patient/ab',
      'Observation/a',
    ]);
  });
});

describe('Class: InMemoryVersionLedger', () => {
  it('resets an entry only while the stored one is still the expected one', async () => {
    const ledger = new InMemoryVersionLedger();
    const pinned = { versionId: '9', lastUpdated: '2026-01-02T00:00:00Z', deleted: false };
    const restored = { versionId: '2', lastUpdated: '2026-01-01T00:00:00Z', deleted: false };
    expect(await ledger.resetTo('Patient/a', restored, pinned)).toBe(false);
    expect(await ledger.getLatest(['Patient/a'])).toEqual(new Map());
    await ledger.recordSourceVersion('Patient/a', pinned);
    // Same id at another instant, or another id at the same instant, is not the expected entry.
    expect(
      await ledger.resetTo('Patient/a', restored, { ...pinned, lastUpdated: '2026-01-03T00:00:00Z' }),
    ).toBe(false);
    expect(await ledger.resetTo('Patient/a', restored, { ...pinned, versionId: '8' })).toBe(false);
    expect((await ledger.getLatest(['Patient/a'])).get('Patient/a')).toBe(pinned);
    expect(await ledger.resetTo('Patient/a', restored, pinned)).toBe(true);
    expect((await ledger.getLatest(['Patient/a'])).get('Patient/a')).toBe(restored);
  });

  it('records newer source versions, answers current and stale, and assigns versions after them', async () => {
    const ledger = new InMemoryVersionLedger();
    const v2 = { versionId: '2', lastUpdated: '2026-01-02T00:00:00Z', deleted: false };
    expect(await ledger.recordSourceVersion('Patient/a', v2)).toStrictEqual({
      status: 'recorded',
      latest: v2,
    });
    expect(await ledger.recordSourceVersion('Patient/a', { ...v2 })).toStrictEqual({
      status: 'current',
      latest: v2,
    });
    expect(
      await ledger.recordSourceVersion('Patient/a', {
        versionId: '1',
        lastUpdated: v2.lastUpdated,
        deleted: false,
      }),
    ).toStrictEqual({ status: 'stale', latest: v2 });
    const assigned = await ledger.assignNextVersion('Patient/a', {
      deleted: false,
      lastUpdated: '2026-01-03T00:00:00Z',
      contentHash: 'h',
    });
    expect(assigned).toStrictEqual({
      status: 'recorded',
      latest: { versionId: '3', lastUpdated: '2026-01-03T00:00:00Z', deleted: false, contentHash: 'h' },
    });
    const retried = await ledger.assignNextVersion('Patient/a', {
      deleted: false,
      lastUpdated: '2026-01-04T00:00:00Z',
      contentHash: 'h',
    });
    expect(retried).toStrictEqual({ status: 'current', latest: assigned.latest });
    expect((await ledger.getLatest(['Patient/a'])).get('Patient/a')).toBe(assigned.latest);
  });
});
