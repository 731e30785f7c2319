import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../../shared/ingest/types.js';
import {
  conflictOutcome,
  fhirJson,
  staleOutcome,
  unmatchedOutcome,
  writeResponse,
} from '../../../../shared/ingest/routes/responses.js';
import { fhirRequest, patient } from '../../../helpers/ingestFakes.js';

const LAST_UPDATED = '2025-03-01T12:00:00.000Z';
const HEADERS = { etag: 'W/"3"', 'last-modified': 'Sat, 01 Mar 2025 12:00:00 GMT' };
const JSON_TYPE = 'application/fhir+json; charset=utf-8';
const LOCATION = 'https://ingest.example.org/fhir/Patient/p1/_history/3';

const result = (overrides: Partial<WriteResult> = {}): WriteResult => ({
  status: 'recorded',
  versionId: '3',
  lastUpdated: LAST_UPDATED,
  resource: patient({ meta: { versionId: '3', lastUpdated: LAST_UPDATED } }),
  matched: 1,
  enqueued: 1,
  ...overrides,
});

const put = (prefer?: string) =>
  fhirRequest({ method: 'PUT', path: 'Patient/p1', ...(prefer ? { headers: { prefer } } : {}) });
const upsert = { resourceType: 'Patient', id: 'p1', operation: 'upsert', created: false } as const;
const remove = { resourceType: 'Patient', id: 'p1', operation: 'delete', created: false } as const;

const information = (diagnostics: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'information', code: 'informational', diagnostics }],
});
const UNMATCHED = information(
  'Patient/p1 was accepted and recorded, but it matched no active Subscription, so it is not delivered anywhere. Check the Subscriptions (GET [base]/Subscription?status=active).',
);

describe('Function: fhirJson', () => {
  it('sets the FHIR JSON content type, and no body when there is none', () => {
    expect(fhirJson(204)).toStrictEqual({ status: 204, headers: { 'content-type': JSON_TYPE } });
    expect(fhirJson(200, { a: 1 }, { etag: 'W/"1"' })).toStrictEqual({
      status: 200,
      headers: { 'content-type': JSON_TYPE, etag: 'W/"1"' },
      body: { a: 1 },
    });
  });
});

describe('Outcomes', () => {
  it('explains a stale write, with the version sent when known', () => {
    expect(staleOutcome('Patient', 'p1', result({ status: 'stale', versionId: '5' }), '4')).toEqual(
      information(
        'Stale version 4 of Patient/p1: version 5 is already recorded, so this write was acknowledged but not delivered.',
      ),
    );
    expect(staleOutcome('Patient', 'p1', result({ status: 'stale', versionId: '5' }))).toEqual(
      information(
        'Stale version of Patient/p1: version 5 is already recorded, so this write was acknowledged but not delivered.',
      ),
    );
  });

  it('explains an unmatched write', () => {
    expect(unmatchedOutcome('Patient', 'p1')).toEqual(UNMATCHED);
  });

  it('explains a conflict as a 409 at meta.versionId', () => {
    expect(conflictOutcome('Patient', 'p1', result({ status: 'conflict' }))).toEqual({
      resourceType: 'OperationOutcome',
      id: '409',
      issue: [
        {
          severity: 'error',
          code: 'conflict',
          diagnostics:
            'Version 3 of Patient/p1 is already recorded with different content: send the change as a new meta.versionId, or ask an operator to reset the version ($reset-version)',
          expression: ['Patient.meta.versionId'],
        },
      ],
    });
  });
});

describe('Function: writeResponse', () => {
  it('answers an upsert with the resource, Location, ETag and Last-Modified', () => {
    expect(writeResponse(put(), upsert, result())).toStrictEqual({
      status: 200,
      headers: { 'content-type': JSON_TYPE, ...HEADERS, location: LOCATION },
      body: result().resource,
    });
    expect(writeResponse(put(), { ...upsert, created: true }, result()).status).toBe(201);
  });

  it('answers per Prefer: nothing for minimal, an outcome for OperationOutcome', () => {
    expect(writeResponse(put('return=minimal'), upsert, result())).toStrictEqual({
      status: 200,
      headers: { ...HEADERS, location: LOCATION },
    });
    expect(
      writeResponse(put('return=OperationOutcome'), { ...upsert, created: true }, result()),
    ).toStrictEqual({
      status: 201,
      headers: { 'content-type': JSON_TYPE, ...HEADERS, location: LOCATION },
      body: information('Accepted Patient/p1'),
    });
  });

  it('answers a conflict with 409 and its outcome, without version headers', () => {
    const response = writeResponse(put(), upsert, result({ status: 'conflict' }));
    expect(response.status).toBe(409);
    expect(response.headers).toStrictEqual({ 'content-type': JSON_TYPE });
    expect(response.body).toMatchObject({ issue: [{ code: 'conflict' }] });
  });

  it('answers a stale write with the recorded ETag and the stale outcome', () => {
    const stale = result({ status: 'stale', versionId: '5', matched: 0, enqueued: 0 });
    expect(writeResponse(put(), { ...upsert, sentVersion: '4' }, stale)).toStrictEqual({
      status: 200,
      headers: { 'content-type': JSON_TYPE, ...HEADERS, etag: 'W/"5"' },
      body: staleOutcome('Patient', 'p1', stale, '4'),
    });
  });

  describe('a write no Subscription matched', () => {
    const unmatched = result({ matched: 0, enqueued: 0 });

    it('is answered with its outcome, and Location for an upsert', () => {
      expect(writeResponse(put(), { ...upsert, created: true }, unmatched)).toStrictEqual({
        status: 201,
        headers: { 'content-type': JSON_TYPE, ...HEADERS, location: LOCATION },
        body: UNMATCHED,
      });
      expect(writeResponse(put('return=OperationOutcome'), remove, unmatched)).toStrictEqual({
        status: 200,
        headers: { 'content-type': JSON_TYPE, ...HEADERS },
        body: UNMATCHED,
      });
    });

    it('is answered as asked when the client chose minimal or representation', () => {
      expect(writeResponse(put('return=minimal'), remove, unmatched)).toStrictEqual({
        status: 204,
        headers: HEADERS,
      });
      expect(writeResponse(put('return=representation'), upsert, unmatched).body).toEqual(unmatched.resource);
    });
  });

  it('answers a delete with 204, or an outcome when one or the representation is asked for', () => {
    expect(writeResponse(put(), remove, result())).toStrictEqual({ status: 204, headers: HEADERS });
    for (const prefer of ['return=OperationOutcome', 'return=representation']) {
      expect(writeResponse(put(prefer), remove, result())).toStrictEqual({
        status: 200,
        headers: { 'content-type': JSON_TYPE, ...HEADERS },
        body: information('Deleted Patient/p1'),
      });
    }
  });
});
