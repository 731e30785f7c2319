import { describe, expect, it } from 'vitest';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import type { BackfillRouteDeps } from '../../../shared/backfill/handleBackfillRequest.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { fakeSubscriptions } from './harness.js';

const BASE = 'https://connector.test/fhir';

const request = (overrides: Partial<FhirRequest> & { parameter?: unknown[] }): FhirRequest => ({
  method: 'POST',
  path: 'Subscription/sub-1/$trigger-subscription',
  query: {},
  headers: {},
  requestId: 'req-1',
  baseUrl: BASE,
  body: { resourceType: 'Parameters', parameter: overrides.parameter ?? [] },
  ...overrides,
});

const makeDeps = (overrides: Partial<BackfillRouteDeps> = {}) => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const deps: BackfillRouteDeps = {
    jobs,
    queue,
    subscriptions: fakeSubscriptions({
      'sub-1': { status: 'active', criteria: '[Patient,Observation]' },
      'sub-off': { status: 'off' },
      'sub-requested': { status: 'requested' },
    }),
    compileCriteria,
    newJobId: () => 'job-1',
    now: () => new Date('2026-02-01T10:00:00.000Z'),
    idsPerMessage: 2,
    ...overrides,
  };
  return { deps, jobs, queue };
};

const issue = (body: unknown) =>
  (body as { resourceType: string; issue: { code: string; diagnostics: string }[] }).issue[0];

describe('handleBackfillRequest: $trigger-subscription of everything', () => {
  it('backfills every type the criteria name, supporting types first, after _since', async () => {
    const { deps, queue, jobs } = makeDeps({
      subscriptions: fakeSubscriptions({
        'sub-1': { status: 'active', criteria: '[Observation,Goal,Patient,Organization]' },
      }),
    });
    const response = await handleBackfillRequest(
      request({ parameter: [{ name: '_since', valueInstant: '2026-01-01T00:00:00Z' }] }),
      deps,
    );
    expect(response?.status).toBe(202);
    const since = '_lastUpdated=gt2026-01-01T00%3A00%3A00Z';
    expect(queue.messages.map((message) => (message as { pageUrl?: string }).pageUrl)).toEqual([
      `Organization?${since}`,
      `Patient?${since}`,
      `Goal?${since}`,
      `Observation?${since}`,
    ]);
    const status = await handleBackfillRequest(
      request({ method: 'GET', path: '$backfill-job/job-1', body: undefined }),
      deps,
    );
    const streams = (
      status?.body as { parameter: { name: string; part?: { name: string; valueCode?: string }[] }[] }
    ).parameter
      .filter((parameter) => parameter.name === 'stream')
      .map((stream) => stream.part?.find((part) => part.name === 'resourceType')?.valueCode);
    expect(streams).toEqual(['Organization', 'Patient', 'Goal', 'Observation']);
    expect((await jobs.get('job-1'))?.streams).toHaveLength(4);
  });

  it('follows a configured type order', async () => {
    const { deps, queue } = makeDeps({ typeOrder: ['Observation'] });
    await handleBackfillRequest(request({ parameter: [] }), deps);
    expect(queue.messages.map((message) => (message as { pageUrl?: string }).pageUrl)).toEqual([
      'Observation?',
      'Patient?',
    ]);
  });

  it('runs the criteria search itself for a search criteria subscription', async () => {
    const { deps, queue } = makeDeps({
      subscriptions: fakeSubscriptions({
        'sub-1': { status: 'active', criteria: 'Observation?status=final' },
      }),
    });
    await handleBackfillRequest(request({ parameter: [] }), deps);
    expect(queue.messages.map((message) => (message as { pageUrl?: string }).pageUrl)).toEqual([
      'Observation?status=final',
    ]);
  });

  it('expands [*] to every R4 type but infrastructure ones, each read only if the source can search it', async () => {
    const { deps, queue } = makeDeps({
      subscriptions: fakeSubscriptions({ 'sub-1': { status: 'active', criteria: '[*]' } }),
    });
    const response = await handleBackfillRequest(request({ parameter: [] }), deps);
    expect(response?.status).toBe(202);
    const messages = queue.messages as { pageUrl?: string; ifSourceSearchable?: boolean }[];
    expect(messages.length).toBeGreaterThan(100);
    expect(messages.every((message) => message.ifSourceSearchable === true)).toBe(true);
    const types = messages.map((message) => message.pageUrl?.replace('?', ''));
    expect(types.slice(0, 5)).toEqual([
      'Organization',
      'Location',
      'Practitioner',
      'PractitionerRole',
      'Patient',
    ]);
    for (const infrastructure of ['Subscription', 'StructureDefinition', 'ValueSet', 'CapabilityStatement']) {
      expect(types).not.toContain(infrastructure);
    }
  });
});

describe('handleBackfillRequest: $trigger-subscription', () => {
  it('answers 202 with the job id and where to read its status', async () => {
    const { deps, queue, jobs } = makeDeps();
    const response = await handleBackfillRequest(
      request({
        parameter: [
          { name: 'searchUrl', valueString: 'Observation?date=ge2020' },
          { name: 'resourceId', valueUri: 'Patient/a' },
          { name: 'resourceId', valueString: 'Patient/b' },
          { name: 'resourceId', valueReference: { reference: 'Patient/c' } },
          { name: 'resourceId', valueUri: 'Patient/a' },
        ],
      }),
      deps,
    );
    expect(response?.status).toBe(202);
    expect(response?.headers?.['content-location']).toBe(`${BASE}/$backfill-job/job-1`);
    expect(response?.headers?.location).toBe(`${BASE}/$backfill-job/job-1`);
    expect(response?.body).toMatchObject({
      resourceType: 'Parameters',
      parameter: [
        { name: 'jobId', valueString: 'job-1' },
        { name: 'state', valueCode: 'queued' },
        { name: 'status' },
      ],
    });
    expect(queue.messages).toEqual([
      { jobId: 'job-1', task: 'search', searchIndex: 0, pageUrl: 'Observation?date=ge2020', pageNumber: 0 },
      { jobId: 'job-1', task: 'ids', searchIndex: 1, pageNumber: 0, ids: ['Patient/a', 'Patient/b'] },
      { jobId: 'job-1', task: 'ids', searchIndex: 2, pageNumber: 0, ids: ['Patient/c'] },
    ]);
    const job = await jobs.get('job-1');
    expect(job).toMatchObject({
      state: 'queued',
      subscriptionId: 'sub-1',
      createdAt: '2026-02-01T10:00:00.000Z',
    });
    expect(job?.streams).toHaveLength(3);
  });

  it.each([
    ['a _since that is not an instant', [{ name: '_since', valueString: '2026-01-01' }]],
    ['a searchUrl without "?"', [{ name: 'searchUrl', valueString: 'Observation' }]],
    [
      'an absolute searchUrl',
      [{ name: 'searchUrl', valueString: 'https://elsewhere.test/fhir/Observation?x=1' }],
    ],
    ['a searchUrl without a type', [{ name: 'searchUrl', valueString: '?_type=Patient' }]],
    ['a resourceId that is not Type/id', [{ name: 'resourceId', valueUri: 'Patient' }]],
    ['a resourceId with a version', [{ name: 'resourceId', valueUri: 'Patient/a/_history/2' }]],
    ['a resourceId with a bad id', [{ name: 'resourceId', valueUri: 'Patient/a b' }]],
    ['an unknown parameter', [{ name: 'deliveryMode', valueString: 'fast' }]],
    ['a type the criteria never match', [{ name: 'searchUrl', valueString: 'Condition?code=x' }]],
    ['a resourceId of a type the criteria never match', [{ name: 'resourceId', valueUri: 'Condition/1' }]],
  ])('answers 400 with an OperationOutcome for %s', async (_what, parameter) => {
    const { deps, queue } = makeDeps();
    const response = await handleBackfillRequest(request({ parameter }), deps);
    expect(response?.status).toBe(400);
    expect(issue(response?.body)?.code).toBe('invalid');
    expect(queue.messages).toHaveLength(0);
  });

  it('searches the source with the criteria without their result parameters (_format=xml would answer XML)', async () => {
    const { deps, queue } = makeDeps({
      subscriptions: fakeSubscriptions({
        'sub-1': { status: 'active', criteria: 'Observation?code=SNOMED-CT|1000000050&_format=xml' },
      }),
    });
    expect((await handleBackfillRequest(request({ parameter: [] }), deps))?.status).toBe(202);
    expect(queue.messages.map((message) => (message as { pageUrl?: string }).pageUrl)).toEqual([
      'Observation?code=SNOMED-CT|1000000050',
    ]);
  });

  it('treats a POST without a body as "everything" (seed 004 sends it so)', async () => {
    const { deps, queue } = makeDeps();
    const response = await handleBackfillRequest(request({ body: undefined }), deps);
    expect(response?.status).toBe(202);
    expect(queue.messages.map((message) => (message as { pageUrl?: string }).pageUrl)).toEqual([
      'Patient?',
      'Observation?',
    ]);
  });

  it('answers 400 when the body is not a Parameters resource', async () => {
    const { deps } = makeDeps();
    const response = await handleBackfillRequest(request({ body: { resourceType: 'Patient' } }), deps);
    expect(response?.status).toBe(400);
    expect(issue(response?.body)?.diagnostics).toMatch(/Parameters/);
  });

  it('answers 404 for an unknown subscription', async () => {
    const { deps } = makeDeps();
    const response = await handleBackfillRequest(
      request({
        path: 'Subscription/nope/$trigger-subscription',
        parameter: [{ name: 'resourceId', valueUri: 'Patient/a' }],
      }),
      deps,
    );
    expect(response?.status).toBe(404);
    expect(issue(response?.body)?.code).toBe('not-found');
  });

  it.each(['sub-off', 'sub-requested'])(
    'answers 409 for a subscription that is not active (%s)',
    async (id) => {
      const { deps } = makeDeps();
      const response = await handleBackfillRequest(
        request({
          path: `Subscription/${id}/$trigger-subscription`,
          parameter: [{ name: 'resourceId', valueUri: 'Patient/a' }],
        }),
        deps,
      );
      expect(response?.status).toBe(409);
      expect(issue(response?.body)?.diagnostics).toMatch(/not active/);
    },
  );

  it('answers 405 to a GET of the operation', async () => {
    const { deps } = makeDeps();
    const response = await handleBackfillRequest(request({ method: 'GET' }), deps);
    expect(response?.status).toBe(405);
  });

  it('fails the job and answers 503 when the work cannot be enqueued', async () => {
    const { deps, jobs } = makeDeps({
      queue: {
        send: async () => {
          throw new Error('SQS down');
        },
      },
    });
    const response = await handleBackfillRequest(
      request({ parameter: [{ name: 'resourceId', valueUri: 'Patient/a' }] }),
      deps,
    );
    expect(response?.status).toBe(503);
    expect((await jobs.get('job-1'))?.state).toBe('failed');
  });

  it('returns undefined for paths it does not own', async () => {
    const { deps } = makeDeps();
    expect(await handleBackfillRequest(request({ path: 'Patient/1', method: 'GET' }), deps)).toBeUndefined();
    expect(await handleBackfillRequest(request({ path: 'Subscription/sub-1' }), deps)).toBeUndefined();
  });
});

describe('handleBackfillRequest: job status and cancel', () => {
  const started = async () => {
    const setup = makeDeps();
    await handleBackfillRequest(
      request({ parameter: [{ name: 'searchUrl', valueString: 'Patient?active=true' }] }),
      setup.deps,
    );
    return setup;
  };

  it('reads the status of a job as Parameters', async () => {
    const { deps } = await started();
    const response = await handleBackfillRequest(
      request({ method: 'GET', path: '$backfill-job/job-1', body: undefined }),
      deps,
    );
    expect(response?.status).toBe(200);
    const parameter = (response?.body as { parameter: { name: string; [k: string]: unknown }[] }).parameter;
    const byName = Object.fromEntries(parameter.map((p) => [p.name, p]));
    expect(byName.state).toMatchObject({ valueCode: 'queued' });
    expect(byName.read).toMatchObject({ valueUnsignedInt: 0 });
    expect(byName.subscription).toMatchObject({ valueReference: { reference: 'Subscription/sub-1' } });
    expect(byName.stream).toMatchObject({
      part: expect.arrayContaining([{ name: 'searchUrl', valueString: 'Patient?active=true' }]),
    });
  });

  it('answers 404 for an unknown job', async () => {
    const { deps } = await started();
    const response = await handleBackfillRequest(
      request({ method: 'GET', path: '$backfill-job/other', body: undefined }),
      deps,
    );
    expect(response?.status).toBe(404);
  });

  it.each([
    ['DELETE', '$backfill-job/job-1'],
    ['POST', '$backfill-job/job-1/$cancel'],
  ] as const)('cancels with %s %s, idempotently', async (method, path) => {
    const { deps, jobs } = await started();
    const first = await handleBackfillRequest(request({ method, path, body: undefined }), deps);
    const second = await handleBackfillRequest(request({ method, path, body: undefined }), deps);
    expect(first?.status).toBe(200);
    expect(second?.status).toBe(200);
    expect((await jobs.get('job-1'))?.state).toBe('cancelled');
  });

  it('answers 409 when cancelling a job that already completed', async () => {
    const { deps, jobs } = await started();
    await jobs.commitPage('job-1', {
      stream: 0,
      page: 0,
      counts: { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 },
      failedIds: [],
    });
    await jobs.completeIfDone('job-1', '2026-02-01T10:00:01.000Z');
    const response = await handleBackfillRequest(
      request({ method: 'DELETE', path: '$backfill-job/job-1', body: undefined }),
      deps,
    );
    expect(response?.status).toBe(409);
    expect(issue(response?.body)?.diagnostics).toMatch(/already completed/);
  });
});
