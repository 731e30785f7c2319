import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { handleBundle } from '../../../../shared/ingest/routes/handleBundle.js';
import { forResponse } from '../../../../shared/fhir/outcomes.js';
import { conflictOutcome, staleOutcome } from '../../../../shared/ingest/routes/responses.js';
import type { IncomingWrite, WriteResult } from '../../../../shared/ingest/types.js';
import {
  fakeRouterContext,
  fhirRequest,
  observation,
  patient,
  recordedResult,
} from '../../../helpers/ingestFakes.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const BASE = 'https://ingest.example.org/fhir';
const PATIENT_URN = 'urn:uuid:4f9bc1a2-0000-4000-8000-000000000001';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Body = Record<string, unknown>;

const recorded = (write: IncomingWrite) => recordedResult(write, NOW);

const setup = (options: Parameters<typeof fakeRouterContext>[0] = {}) => {
  const { context, writes, observed } = fakeRouterContext({ now: NOW, ...options });
  const post = (body: unknown, prefer?: string) =>
    handleBundle(
      fhirRequest({ method: 'POST', path: '', body, ...(prefer ? { headers: { prefer } } : {}) }),
      context,
    );
  return { post, writes, observed };
};

const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const error = (code: string, diagnostics: string, expression: string): OperationOutcomeIssue => ({
  severity: 'error',
  code: code as OperationOutcomeIssue['code'],
  diagnostics,
  expression: [expression],
});
const outcomeOf = (issues: OperationOutcomeIssue[]) => ({ resourceType: 'OperationOutcome', issue: issues });
const entriesOf = (body: unknown) => (body as { entry: Body[] }).entry;

describe('Function: handleBundle', () => {
  describe('the Bundle itself', () => {
    it.each([undefined, null, 'Bundle', 7, [], patient(), { type: 'transaction', entry: [] }])(
      'refuses a body that is no Bundle (%s)',
      async (body) => {
        const env = setup();
        const response = await env.post(body);
        expect(response.status).toBe(400);
        expect(response.body).toStrictEqual(
          outcomeOf([error('invalid', 'POST [base] takes a Bundle of type transaction or batch', 'Bundle')]),
        );
        expect(env.observed.accepts).toBe(0);
      },
    );

    it.each(['collection', 'searchset', undefined])('refuses a Bundle of type %s', async (type) => {
      const env = setup();
      const response = await env.post({ resourceType: 'Bundle', type, entry: [] });
      expect(response.status).toBe(400);
      expect(response.body).toStrictEqual(
        outcomeOf([
          error(
            'invalid',
            'Only Bundles of type transaction or batch can be posted to [base]',
            'Bundle.type',
          ),
        ]),
      );
    });

    it('refuses an entry list that is no array', async () => {
      const env = setup();
      const response = await env.post({ resourceType: 'Bundle', type: 'batch', entry: { request: {} } });
      expect(response.status).toBe(400);
      expect(response.body).toStrictEqual(
        outcomeOf([error('invalid', 'Bundle.entry must be an array', 'Bundle.entry')]),
      );
    });

    it('answers a Bundle without entries with an empty response Bundle', async () => {
      for (const type of ['transaction', 'batch']) {
        const env = setup();
        const response = await env.post({ resourceType: 'Bundle', type });
        expect(response).toStrictEqual({
          status: 200,
          headers: { 'content-type': 'application/fhir+json; charset=utf-8' },
          body: { resourceType: 'Bundle', type: `${type}-response`, entry: [] },
        });
        expect(env.writes).toEqual([]);
      }
    });

    it('takes exactly the configured number of entries, and refuses one more with 413', async () => {
      const env = setup({ maxBundleEntries: 2 });
      const put = (id: string) => ({
        resource: patient({ id }),
        request: { method: 'PUT', url: `Patient/${id}` },
      });
      expect((await env.post(bundle('batch', [put('a'), put('b')]))).status).toBe(200);
      const response = await env.post(bundle('batch', [put('a'), put('b'), put('c')]));
      expect(response.status).toBe(413);
      expect(response.body).toStrictEqual(
        outcomeOf([
          {
            severity: 'error',
            code: 'too-costly',
            diagnostics:
              'The Bundle has 3 entries; the limit is 2 entries per batch; send the entries in smaller Bundles',
          },
        ]),
      );
      expect(env.writes).toHaveLength(2);
    });
  });

  describe('each entry is checked, and a bad one is answered with what and where', () => {
    const future = new Date(NOW.getTime() + 301_000).toISOString();
    const cases: Array<[string, unknown, OperationOutcomeIssue]> = [
      ['a null entry', null, error('structure', 'Bundle entry must be an object', 'Bundle.entry[0]')],
      ['a string entry', 'Patient', error('structure', 'Bundle entry must be an object', 'Bundle.entry[0]')],
      [
        'an entry without request',
        { resource: patient() },
        error('required', 'Bundle entry has no request', 'Bundle.entry[0].request'),
      ],
      [
        'a request that is no object',
        { resource: patient(), request: 'PUT Patient/p1' },
        error('required', 'Bundle entry has no request', 'Bundle.entry[0].request'),
      ],
      ...['GET', 'PATCH', undefined].map((method): [string, unknown, OperationOutcomeIssue] => [
        `a ${method} entry`,
        { resource: patient(), request: { method, url: 'Patient/p1' } },
        error(
          'not-supported',
          'Only POST, PUT and DELETE entries are supported (reads are served by the source server)',
          'Bundle.entry[0].request.method',
        ),
      ]),
      ...['ifNoneExist', 'ifMatch', 'ifNoneMatch'].map((name): [string, unknown, OperationOutcomeIssue] => [
        `a conditional entry (${name})`,
        { resource: patient(), request: { method: 'PUT', url: 'Patient/p1', [name]: 'W/"1"' } },
        error(
          'not-supported',
          'Conditional interactions (ifNoneExist, ifMatch, ifNoneMatch) are not supported',
          'Bundle.entry[0].request',
        ),
      ]),
      [
        'an entry without url',
        { resource: patient(), request: { method: 'PUT' } },
        error('invalid', 'request.url is required', 'Bundle.entry[0].request.url'),
      ],
      [
        'a search url',
        { resource: patient(), request: { method: 'PUT', url: 'Patient?identifier=x' } },
        error(
          'not-supported',
          'Conditional interactions (request.url with a search query) are not supported',
          'Bundle.entry[0].request.url',
        ),
      ],
      ...['Patientt/p1', 'Subscription/s1', 'Bundle'].map((url): [string, unknown, OperationOutcomeIssue] => [
        `a url of ${url}`,
        { resource: { resourceType: url.split('/')[0], id: 's1' }, request: { method: 'POST', url } },
        error(
          'not-supported',
          'request.url must name a clinical FHIR R4 resource type; Subscription and other non-clinical types are not accepted in a Bundle',
          'Bundle.entry[0].request.url',
        ),
      ]),
      [
        'a POST to an id',
        { resource: patient(), request: { method: 'POST', url: 'Patient/p1' } },
        error('invalid', 'A POST entry names a type, not an id', 'Bundle.entry[0].request.url'),
      ],
      [
        'a POST without resource',
        { request: { method: 'POST', url: 'Patient' } },
        error('required', 'A POST entry needs a resource', 'Bundle.entry[0].resource'),
      ],
      [
        'a PUT to a type',
        { resource: patient(), request: { method: 'PUT', url: 'Patient' } },
        error('invalid', 'A PUT entry needs [type]/[id]', 'Bundle.entry[0].request.url'),
      ],
      [
        'a DELETE of a type',
        { request: { method: 'DELETE', url: 'Patient' } },
        error('invalid', 'A DELETE entry needs [type]/[id]', 'Bundle.entry[0].request.url'),
      ],
      [
        'a PUT without resource',
        { request: { method: 'PUT', url: 'Patient/p1' } },
        error('required', 'A PUT entry needs a resource', 'Bundle.entry[0].resource'),
      ],
      [
        'a PUT whose body id disagrees with the url',
        { resource: patient({ id: 'p2' }), request: { method: 'PUT', url: 'Patient/p1' } },
        error('invalid', 'Resource id does not match the id in the URL', 'Bundle.entry[0].resource.id'),
      ],
      [
        'a body type that disagrees with the url',
        { resource: patient(), request: { method: 'POST', url: 'Observation' } },
        error(
          'invalid',
          'resourceType Patient does not match the URL type Observation',
          'Bundle.entry[0].resource.resourceType',
        ),
      ],
    ];

    it.each(cases)('answers %s with 400 in a batch, next to a good entry', async (_name, entry, expected) => {
      const env = setup();
      const good = { resource: patient({ id: 'ok' }), request: { method: 'PUT', url: 'Patient/ok' } };
      const response = await env.post(bundle('batch', [entry, good]));
      expect(response.status).toBe(200);
      const [bad, accepted] = entriesOf(response.body);
      expect(bad).toStrictEqual({
        response: { status: '400 Bad Request', outcome: outcomeOf([expected]) },
      });
      expect(accepted).toMatchObject({ response: { status: '200 OK' } });
      expect(env.writes.map((write) => write.id)).toEqual(['ok']);
      expect(env.observed.rejected).toBe(1);
    });

    it.each(cases)('rejects a transaction holding %s, writing nothing', async (_name, entry, expected) => {
      const env = setup();
      const good = { resource: patient({ id: 'ok' }), request: { method: 'PUT', url: 'Patient/ok' } };
      const response = await env.post(bundle('transaction', [good, entry]));
      expect(response.status).toBe(400);
      const shifted = { ...expected, expression: expected.expression?.map((e) => e.replace('[0]', '[1]')) };
      expect(response.body).toStrictEqual(outcomeOf([shifted]));
      expect(env.observed).toEqual({ rejected: 1, accepts: 0 });
    });

    it('answers a future meta.lastUpdated with 422 in a batch', async () => {
      const env = setup();
      const entry = {
        resource: patient({ meta: { lastUpdated: future } }),
        request: { method: 'PUT', url: 'Patient/p1' },
      };
      const response = await env.post(bundle('batch', [entry]));
      expect(entriesOf(response.body)).toStrictEqual([
        {
          response: {
            status: '422 Unprocessable Entity',
            outcome: outcomeOf([
              error(
                'business-rule',
                'meta.lastUpdated lies further in the future than the allowed clock skew (configuration key ingest.maxClockSkewSeconds)',
                'Bundle.entry[0].resource.meta.lastUpdated',
              ),
            ]),
          },
        },
      ]);
      expect(env.writes).toEqual([]);
      expect(env.observed.rejected).toBe(1);
    });

    it('rejects a transaction with 422 only when every refused entry is future-dated', async () => {
      const good = { resource: patient({ id: 'ok' }), request: { method: 'PUT', url: 'Patient/ok' } };
      const dated = (id: string) => ({
        resource: patient({ id, meta: { lastUpdated: future } }),
        request: { method: 'PUT', url: `Patient/${id}` },
      });
      const bad = { request: { method: 'GET', url: 'Patient/x' } };
      const env = setup();
      const refused = await env.post(bundle('transaction', [good, dated('a'), dated('b')]));
      expect(refused.status).toBe(422);
      expect((refused.body as { issue: unknown[] }).issue).toHaveLength(2);
      expect((await env.post(bundle('transaction', [dated('a'), bad]))).status).toBe(400);
      expect((await env.post(bundle('transaction', [bad, dated('a')]))).status).toBe(400);
      expect(env.writes).toEqual([]);
    });

    it('reports two bad entries as two issues, not as a duplicate', async () => {
      const env = setup();
      const bad = { request: { method: 'GET', url: 'Patient/x' } };
      const response = await env.post(bundle('transaction', [bad, bad]));
      expect((response.body as { issue: OperationOutcomeIssue[] }).issue.map((i) => i.code)).toEqual([
        'not-supported',
        'not-supported',
      ]);
    });

    it('reports a duplicate write in a transaction at the second entry', async () => {
      const env = setup();
      const put = { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } };
      const response = await env.post(bundle('transaction', [put, put]));
      expect(response.status).toBe(400);
      expect(response.body).toStrictEqual(
        outcomeOf([
          error('duplicate', 'The transaction writes the same resource more than once', 'Bundle.entry[1]'),
        ]),
      );
      expect(env.observed.rejected).toBe(1);
    });

    it('reports at most 100 issues, for the Bundle and for one batch entry', async () => {
      const references = Array.from({ length: 101 }, (_, i) => ({
        reference: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      }));
      const entry = {
        resource: observation({ id: 'o1', focus: references }),
        request: { method: 'PUT', url: 'Observation/o1' },
      };
      const env = setup();
      const transaction = await env.post(bundle('transaction', [entry]));
      const issues = (transaction.body as { issue: OperationOutcomeIssue[] }).issue;
      expect(issues).toHaveLength(100);
      expect(issues[99]?.expression).toEqual(['Bundle.entry[0].resource.focus[99].reference']);
      const batch = await env.post(bundle('batch', [entry]));
      const [answered] = entriesOf(batch.body);
      expect(
        (answered as { response: { outcome: { issue: unknown[] } } }).response.outcome.issue,
      ).toHaveLength(100);
    });
  });

  describe('urn:uuid references', () => {
    it('resolve to the server-assigned id of a POST entry and to the id of a PUT entry', async () => {
      const env = setup();
      const orgUrn = 'urn:uuid:4f9bc1a2-0000-4000-8000-0000000000aa';
      const response = await env.post(
        bundle('transaction', [
          {
            fullUrl: PATIENT_URN,
            resource: patient({ id: undefined }),
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: orgUrn,
            resource: { resourceType: 'Organization', id: 'org-1', name: 'Example' },
            request: { method: 'PUT', url: 'Organization/org-1' },
          },
          {
            resource: observation({
              subject: { reference: PATIENT_URN },
              performer: [{ reference: orgUrn }],
            }),
            request: { method: 'POST', url: 'Observation' },
          },
        ]),
      );
      expect(response.status).toBe(200);
      const patientId = env.writes[0]?.id ?? '';
      expect(patientId).toMatch(UUID);
      expect(env.writes[2]?.resource).toMatchObject({
        subject: { reference: `Patient/${patientId}` },
        performer: [{ reference: 'Organization/org-1' }],
      });
    });

    it('that no entry resolves make the entry a 400, whatever else it holds', async () => {
      const env = setup();
      const lastUpdated = new Date(NOW.getTime() + 301_000).toISOString();
      const response = await env.post(
        bundle('batch', [
          {
            resource: observation({ id: 'o1', meta: { lastUpdated }, subject: { reference: PATIENT_URN } }),
            request: { method: 'PUT', url: 'Observation/o1' },
          },
        ]),
      );
      expect(entriesOf(response.body)[0]?.response).toMatchObject({
        status: '400 Bad Request',
        outcome: {
          issue: [{ code: 'not-found', expression: ['Bundle.entry[0].resource.subject.reference'] }],
        },
      });
    });

    it('do not resolve to a DELETE entry or to a refused entry', async () => {
      const env = setup();
      const deletedUrn = 'urn:uuid:4f9bc1a2-0000-4000-8000-0000000000dd';
      const response = await env.post(
        bundle('batch', [
          { fullUrl: deletedUrn, request: { method: 'DELETE', url: 'Patient/gone' } },
          { fullUrl: PATIENT_URN, resource: patient(), request: { method: 'POST', url: 'Patient/p1' } },
          {
            resource: observation({ id: 'o1', subject: { reference: deletedUrn } }),
            request: { method: 'PUT', url: 'Observation/o1' },
          },
          {
            resource: observation({ id: 'o2', subject: { reference: PATIENT_URN } }),
            request: { method: 'PUT', url: 'Observation/o2' },
          },
        ]),
      );
      const statuses = entriesOf(response.body).map((entry) => (entry.response as Body).status);
      expect(statuses).toEqual(['204 No Content', '400 Bad Request', '400 Bad Request', '400 Bad Request']);
      const third = entriesOf(response.body)[2]?.response as { outcome: unknown };
      expect(third.outcome).toStrictEqual(
        outcomeOf([
          error(
            'not-found',
            'Reference to a urn:uuid that no entry of this Bundle has as its fullUrl',
            'Bundle.entry[2].resource.subject.reference',
          ),
        ]),
      );
      expect(env.writes.map((write) => write.id)).toEqual(['gone']);
    });
  });

  describe('accepted entries', () => {
    it('are sent to the pipeline as ingest writes of the request, a DELETE without its body', async () => {
      const env = setup();
      await env.post(
        bundle('batch', [
          { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
          { resource: patient({ id: 'x' }), request: { method: 'POST', url: 'Patient' } },
          { resource: patient({ id: 'p2', gender: 7 }), request: { method: 'DELETE', url: 'Patient/p2' } },
        ]),
      );
      const created = env.writes[1]?.id ?? '';
      expect(created).toMatch(UUID);
      expect(env.writes).toStrictEqual([
        {
          operation: 'upsert',
          resourceType: 'Patient',
          id: 'p1',
          resource: patient(),
          source: 'ingest',
          requestId: 'req-1',
        },
        {
          operation: 'upsert',
          resourceType: 'Patient',
          id: created,
          resource: patient({ id: created }),
          source: 'ingest',
          requestId: 'req-1',
        },
        { operation: 'delete', resourceType: 'Patient', id: 'p2', source: 'ingest', requestId: 'req-1' },
      ]);
    });

    it('are answered with fullUrl, status, Location, ETag and Last-Modified', async () => {
      const env = setup();
      const response = await env.post(
        bundle('transaction', [
          { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
          { resource: observation(), request: { method: 'POST', url: 'Observation' } },
          { request: { method: 'DELETE', url: 'Patient/p2' } },
        ]),
      );
      const created = env.writes[1]?.id ?? '';
      const lastModified = NOW.toISOString();
      expect(response.body).toStrictEqual({
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: [
          {
            fullUrl: `${BASE}/Patient/p1`,
            response: { status: '200 OK', location: 'Patient/p1/_history/1', etag: 'W/"1"', lastModified },
          },
          {
            fullUrl: `${BASE}/Observation/${created}`,
            response: {
              status: '201 Created',
              location: `Observation/${created}/_history/1`,
              etag: 'W/"1"',
              lastModified,
            },
          },
          { response: { status: '204 No Content', etag: 'W/"1"', lastModified } },
        ],
      });
    });

    it('carry the recorded resource when Prefer: return=representation asks for it', async () => {
      const env = setup();
      const entries = [
        { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
        { request: { method: 'DELETE', url: 'Patient/p2' } },
      ];
      const represented = entriesOf((await env.post(bundle('batch', entries), 'return=representation')).body);
      expect(represented[0]?.resource).toEqual(
        patient({ meta: { versionId: '1', lastUpdated: NOW.toISOString() } }),
      );
      expect(represented[1]).not.toHaveProperty('resource');
      const plain = entriesOf((await env.post(bundle('batch', entries), 'return=minimal')).body);
      expect(plain[0]).not.toHaveProperty('resource');
      const { resource: _resource, ...bare } = recorded({ ...env.writes[0]!, resource: patient() });
      const without = setup({ result: () => bare });
      const answered = entriesOf(
        (await without.post(bundle('batch', entries), 'return=representation')).body,
      );
      expect(answered[0]).not.toHaveProperty('resource');
    });

    it('explain a write no Subscription matched', async () => {
      const env = setup({ result: (write) => ({ ...recorded(write), matched: 0, enqueued: 0 }) });
      const response = await env.post(
        bundle('batch', [
          { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
          { request: { method: 'DELETE', url: 'Patient/p2' } },
        ]),
      );
      const outcomes = entriesOf(response.body).map((entry) => (entry.response as Body).outcome);
      expect(outcomes).toStrictEqual([
        {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'information',
              code: 'informational',
              diagnostics:
                'Patient/p1 was accepted and recorded, but it matched no active Subscription, so it is not delivered anywhere. Check the Subscriptions (GET [base]/Subscription?status=active).',
            },
          ],
        },
        expect.objectContaining({
          issue: [expect.objectContaining({ diagnostics: expect.stringMatching(/^Patient\/p2 /) })],
        }),
      ]);
    });

    /** The response entry of a one-entry batch the pipeline answered with `result`. */
    const answerTo = async (result: WriteResult) => {
      const env = setup({ result: () => result });
      const entry = {
        resource: patient({ meta: { versionId: '4' } }),
        request: { method: 'PUT', url: 'Patient/p1' },
      };
      return entriesOf((await env.post(bundle('batch', [entry]))).body);
    };
    const lastUpdated = NOW.toISOString();

    it('answer a stale version with 200, the recorded ETag and why it was not delivered', async () => {
      const stale: WriteResult = { status: 'stale', versionId: '5', lastUpdated, matched: 0, enqueued: 0 };
      expect(await answerTo(stale)).toStrictEqual([
        {
          response: {
            status: '200 OK',
            etag: 'W/"5"',
            lastModified: lastUpdated,
            outcome: staleOutcome('Patient', 'p1', stale),
          },
        },
      ]);
    });

    it('answer a conflicting version with 409 and its outcome', async () => {
      const conflict: WriteResult = {
        status: 'conflict',
        versionId: '4',
        lastUpdated,
        matched: 0,
        enqueued: 0,
      };
      expect(await answerTo(conflict)).toStrictEqual([
        {
          response: {
            status: '409 Conflict',
            outcome: forResponse(conflictOutcome('Patient', 'p1', conflict)),
          },
        },
      ]);
    });

    it('skip the structure validator when it is switched off', async () => {
      const env = setup({ validateResources: false });
      const response = await env.post(
        bundle('transaction', [
          { resource: patient({ gender: 7 }), request: { method: 'PUT', url: 'Patient/p1' } },
        ]),
      );
      expect(response.status).toBe(200);
      expect(env.writes[0]?.resource).toEqual(patient({ gender: 7 }));
    });
  });
});
