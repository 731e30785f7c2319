import { describe, expect, it } from 'vitest';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { FhirResponse } from '../../../shared/http/types.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { FakeMatcher, patient, RecordingQueue } from '../../helpers/ingestFakes.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const WRITER = { principal: 'producer', scope: 'write' } as const;

const setup = (maxClockSkewSeconds?: number) => {
  const ledger = new InMemoryVersionLedger();
  const queue = new RecordingQueue();
  const route = createIngestRouter({
    pipeline: new DefaultWritePipeline({ ledger, matcher: new FakeMatcher(), queue, now: () => NOW }),
    now: () => NOW,
    ...(maxClockSkewSeconds === undefined ? {} : { limits: { maxClockSkewSeconds } }),
  });
  const put = (body: unknown, path = 'Patient/p1') =>
    route({
      method: 'PUT',
      path,
      query: {},
      headers: {},
      body,
      requestId: 'r',
      baseUrl: 'http://x/fhir',
      caller: WRITER,
    });
  return { ledger, queue, route, put };
};

const versioned = (versionId: string, lastUpdated: string, overrides: Record<string, unknown> = {}) =>
  patient({ meta: { versionId, lastUpdated }, ...overrides });

const issueOf = (response: FhirResponse) =>
  (response.body as { resourceType: string; issue: { code: string; expression?: string[] }[] }).issue[0];

describe('Version rules: clock skew', () => {
  it('refuses a meta.lastUpdated beyond the default 5-minute skew with 422 naming the element', async () => {
    const { put, ledger, queue } = setup();
    const response = await put(versioned('2', '9999-12-31T00:00:00Z'));
    expect(response.status).toBe(422);
    expect(issueOf(response)).toMatchObject({
      code: 'business-rule',
      expression: ['Patient.meta.lastUpdated'],
    });
    expect(await ledger.getLatest(['Patient/p1'])).toEqual(new Map());
    expect(queue.messages).toHaveLength(0);
  });

  it('accepts a lastUpdated within the skew, and honours a configured skew', async () => {
    const fourMinutesAhead = new Date(NOW.getTime() + 4 * 60_000).toISOString();
    expect((await setup().put(versioned('1', fourMinutesAhead))).status).toBe(200);
    expect((await setup(60).put(versioned('1', fourMinutesAhead))).status).toBe(422);
  });

  it('refuses a future entry of a batch with 422 and delivers the others', async () => {
    const { route, queue } = setup();
    const response = await route({
      method: 'POST',
      path: '',
      query: {},
      headers: {},
      requestId: 'r',
      baseUrl: 'http://x/fhir',
      caller: WRITER,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: versioned('1', '9999-01-01T00:00:00Z'), request: { method: 'PUT', url: 'Patient/p1' } },
          { resource: patient({ id: 'p2' }), request: { method: 'PUT', url: 'Patient/p2' } },
        ],
      },
    });
    const entries = (response.body as { entry: { response: { status: string } }[] }).entry;
    expect(entries.map((entry) => entry.response.status)).toEqual(['422 Unprocessable Entity', '200 OK']);
    expect(queue.messages.map((message) => message.id)).toEqual(['p2']);
  });

  it('lets a pinned resource recover: a real update after the refused future write is delivered', async () => {
    const { put, queue } = setup();
    await put(versioned('999999', '9999-12-31T00:00:00Z'));
    const response = await put(versioned('2', NOW.toISOString()));
    expect(response.status).toBe(200);
    expect(queue.messages.map((message) => message.versionId)).toEqual(['2']);
  });
});

describe('Version rules: same versionId, different content', () => {
  it('answers 409 with an OperationOutcome and records and enqueues nothing', async () => {
    const { put, ledger, queue } = setup();
    expect((await put(versioned('3', NOW.toISOString()))).status).toBe(200);
    const before = await ledger.getLatest(['Patient/p1']);
    const response = await put(versioned('3', NOW.toISOString(), { gender: 'male' }));
    expect(response.status).toBe(409);
    expect(issueOf(response)).toMatchObject({ code: 'conflict', expression: ['Patient.meta.versionId'] });
    expect(JSON.stringify(response.body)).not.toContain('male');
    expect(await ledger.getLatest(['Patient/p1'])).toEqual(before);
    expect(queue.messages).toHaveLength(1);
  });

  it('still treats an identical retry as current and re-sends it (deduplicated downstream)', async () => {
    const { put, queue } = setup();
    await put(versioned('3', NOW.toISOString()));
    expect((await put(versioned('3', NOW.toISOString()))).status).toBe(200);
    expect(queue.messages).toHaveLength(2);
  });

  it('answers a conflicting batch entry 409 without failing the others', async () => {
    const { put, route } = setup();
    await put(versioned('3', NOW.toISOString()));
    const response = await route({
      method: 'POST',
      path: '',
      query: {},
      headers: {},
      requestId: 'r',
      baseUrl: 'http://x/fhir',
      caller: WRITER,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: versioned('3', NOW.toISOString(), { gender: 'other' }),
            request: { method: 'PUT', url: 'Patient/p1' },
          },
          { resource: patient({ id: 'p2' }), request: { method: 'PUT', url: 'Patient/p2' } },
        ],
      },
    });
    const entries = (response.body as { entry: { response: { status: string } }[] }).entry;
    expect(entries.map((entry) => entry.response.status)).toEqual(['409 Conflict', '200 OK']);
  });
});
