import { describe, expect, it } from 'vitest';
import {
  handleBackfillRequest,
  type BackfillRouteDeps,
} from '../../../shared/backfill/handleBackfillRequest.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { FHIR_JSON, type FhirRequest } from '../../../shared/http/types.js';
import { fakeSubscriptions } from './harness.js';

const BASE = 'https://connector.test/fhir';

const request = (overrides: Partial<FhirRequest> & { parameter?: unknown[] } = {}): FhirRequest => ({
  method: 'POST',
  path: 'Subscription/sub-1/$trigger-subscription',
  query: {},
  headers: {},
  requestId: 'req-1',
  baseUrl: BASE,
  body: { resourceType: 'Parameters', parameter: overrides.parameter ?? [] },
  ...overrides,
});

const setup = (criteria = '[Patient,Observation]', overrides: Partial<BackfillRouteDeps> = {}) => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const deps: BackfillRouteDeps = {
    jobs,
    queue,
    subscriptions: fakeSubscriptions({ 'sub-1': { status: 'active', criteria } }),
    compileCriteria,
    newJobId: () => 'job-1',
    now: () => new Date('2026-02-01T10:00:00.000Z'),
    logger: {
      info: (message: string, fields: Record<string, unknown> = {}) =>
        logged.push({ level: 'info', message, fields }),
      warn: (message: string, fields: Record<string, unknown> = {}) =>
        logged.push({ level: 'warn', message, fields }),
      error: (message: string, fields: Record<string, unknown> = {}) =>
        logged.push({ level: 'error', message, fields }),
    },
    ...overrides,
  };
  return { deps, jobs, queue, logged };
};

const diagnostics = (body: unknown) =>
  (body as { issue: { diagnostics: string; expression?: string[] }[] }).issue[0];

describe('handleBackfillRequest (edges)', () => {
  it('adds _since to given searches, batches 100 ids per message by default, and logs counts only', async () => {
    const { deps, queue, jobs, logged } = setup('[Patient,Observation]', { idsPerMessage: undefined });
    const ids = Array.from({ length: 101 }, (_, i) => ({ name: 'resourceId', valueUri: `Patient/p${i}` }));
    const response = await handleBackfillRequest(
      request({
        path: '/Subscription/sub-1/$trigger-subscription/',
        parameter: [
          { name: 'searchUrl', valueString: 'Observation?code=x' },
          { name: 'searchUrl', valueString: 'Patient?' },
          { name: '_since', valueInstant: '2026-01-01T00:00:00Z' },
          ...ids,
        ],
      }),
      deps,
    );
    expect(response?.status).toBe(202);
    expect(response?.headers).toEqual({
      'content-type': FHIR_JSON,
      'content-location': `${BASE}/$backfill-job/job-1`,
      location: `${BASE}/$backfill-job/job-1`,
    });
    const messages = queue.messages as {
      task: string;
      pageUrl?: string;
      ids?: string[];
      searchIndex: number;
    }[];
    expect(messages.map((message) => message.pageUrl ?? message.ids?.length)).toEqual([
      'Observation?code=x&_lastUpdated=gt2026-01-01T00%3A00%3A00Z',
      'Patient?_lastUpdated=gt2026-01-01T00%3A00%3A00Z',
      100,
      1,
    ]);
    expect(messages.map((message) => message.searchIndex)).toEqual([0, 1, 2, 3]);
    expect(messages.some((message) => 'ifSourceSearchable' in message)).toBe(false);
    expect((await jobs.get('job-1'))?.streams).toEqual([
      {
        kind: 'search',
        searchUrl: 'Observation?code=x&_lastUpdated=gt2026-01-01T00%3A00%3A00Z',
        page: -1,
        nextEnqueued: true,
        done: false,
      },
      {
        kind: 'search',
        searchUrl: 'Patient?_lastUpdated=gt2026-01-01T00%3A00%3A00Z',
        page: -1,
        nextEnqueued: true,
        done: false,
      },
      { kind: 'ids', idCount: 100, page: -1, nextEnqueued: true, done: false },
      { kind: 'ids', idCount: 1, page: -1, nextEnqueued: true, done: false },
    ]);
    expect(logged).toEqual([
      {
        level: 'info',
        message: 'Backfill job created',
        fields: {
          jobId: 'job-1',
          subscriptionId: 'sub-1',
          searchUrls: 2,
          resourceIds: 101,
          requestId: 'req-1',
        },
      },
    ]);
  });

  it('marks every stream of a [*] backfill to be read only where the source can search it', async () => {
    const { deps, queue } = setup('[*]');
    await handleBackfillRequest(request(), deps);
    const messages = queue.messages as { ifSourceSearchable?: boolean; pageUrl?: string }[];
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.every((message) => message.ifSourceSearchable === true)).toBe(true);
    expect(messages.some((message) => message.pageUrl === 'Subscription?')).toBe(false);
    // Under [*] a named search may target any type but Subscription.
    const { deps: named } = setup('[*]');
    expect(
      (
        await handleBackfillRequest(
          request({ parameter: [{ name: 'searchUrl', valueString: 'Goal?' }] }),
          named,
        )
      )?.status,
    ).toBe(202);
    const refused = await handleBackfillRequest(
      request({ parameter: [{ name: 'searchUrl', valueString: 'Subscription?' }] }),
      setup('[*]').deps,
    );
    expect(refused?.status).toBe(400);
  });

  it('names which searchUrl or resourceId the criteria never match, at its parameter', async () => {
    const searches = await handleBackfillRequest(
      request({
        parameter: [
          { name: 'searchUrl', valueString: 'Patient?' },
          { name: 'searchUrl', valueString: 'Condition?' },
        ],
      }),
      setup().deps,
    );
    expect(diagnostics(searches?.body)).toEqual(
      expect.objectContaining({
        diagnostics: "searchUrl 2 targets a resource type the subscription's criteria never match",
        expression: ['searchUrl'],
      }),
    );
    const ids = await handleBackfillRequest(
      request({
        parameter: [
          { name: 'resourceId', valueUri: 'Patient/a' },
          { name: 'resourceId', valueUri: 'Condition/c' },
        ],
      }),
      setup().deps,
    );
    expect(diagnostics(ids?.body)).toEqual(
      expect.objectContaining({
        diagnostics: "resourceId Condition/c is of a type the subscription's criteria never match",
        expression: ['resourceId'],
      }),
    );
  });

  it('checks nothing against the criteria without a compiler', async () => {
    const { deps } = setup('[Patient]', { compileCriteria: undefined });
    const response = await handleBackfillRequest(
      request({ parameter: [{ name: 'resourceId', valueUri: 'Condition/c' }] }),
      deps,
    );
    expect(response?.status).toBe(202);
  });

  it('says why a subscription is not active, and refuses an id that is not a FHIR id as unknown', async () => {
    const off = await handleBackfillRequest(request(), {
      ...setup().deps,
      subscriptions: fakeSubscriptions({ 'sub-1': { status: 'error' } }),
    });
    expect(off?.status).toBe(409);
    expect(diagnostics(off?.body)?.diagnostics).toBe(
      'Subscription sub-1 is not active (status error); activate it before a backfill',
    );
    const bad = await handleBackfillRequest(
      request({ path: 'Subscription/a%20b/$trigger-subscription' }),
      setup().deps,
    );
    expect(bad?.status).toBe(404);
    expect(diagnostics(bad?.body)?.diagnostics).toBe('Unknown subscription');
  });

  it('records why the job failed and logs the error name when the queue refuses the work', async () => {
    const { deps, jobs, logged } = setup('[Patient]', {
      queue: {
        send: async () => {
          throw Object.assign(new Error('SECRET details'), { name: 'QueueDoesNotExist' });
        },
      },
    });
    const response = await handleBackfillRequest(request(), deps);
    expect(response?.status).toBe(503);
    expect(diagnostics(response?.body)?.diagnostics).toBe('Could not start the backfill; retry later');
    expect(await jobs.get('job-1')).toMatchObject({
      state: 'failed',
      reason: 'Could not enqueue the backfill work',
      endedAt: '2026-02-01T10:00:00.000Z',
    });
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'Backfill enqueue failed',
        fields: { jobId: 'job-1', subscriptionId: 'sub-1', error: 'QueueDoesNotExist' },
      },
    ]);
  });

  it('logs an unexpected failure by name only and answers 500', async () => {
    const { deps, logged } = setup('[Patient]', {
      subscriptions: {
        getSubscription: async () => {
          throw Object.assign(new Error('SECRET'), { name: 'ProvisionedThroughputExceededException' });
        },
      },
    });
    const response = await handleBackfillRequest(request(), deps);
    expect(response?.status).toBe(500);
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'Backfill request failed',
        fields: { requestId: 'req-1', error: 'ProvisionedThroughputExceededException' },
      },
    ]);
    expect(JSON.stringify(response?.body)).not.toContain('SECRET');
  });

  it('answers job paths: unknown ids, methods each path takes, and a cancel log line', async () => {
    const { deps, logged } = setup('[Patient]');
    await handleBackfillRequest(request(), deps);
    logged.length = 0;
    const call = (method: string, path: string) =>
      handleBackfillRequest(request({ method, path, body: undefined }), deps);
    expect((await call('GET', '$backfill-job/a%20b'))?.status).toBe(404);
    expect((await call('PUT', '$backfill-job/job-1'))?.status).toBe(405);
    expect((await call('GET', '$backfill-job/job-1/$cancel'))?.status).toBe(405);
    expect((await call('DELETE', '$backfill-job/job-1/$cancel'))?.status).toBe(405);
    expect((await call('POST', '$backfill-job/job-1'))?.status).toBe(405);
    expect(await call('GET', '$backfill-job/job-1/other')).toBeUndefined();
    expect((await call('DELETE', '$backfill-job/nope'))?.status).toBe(404);
    const cancelled = await call('POST', '/$backfill-job/job-1/$cancel/');
    expect(cancelled?.status).toBe(200);
    expect(logged).toEqual([
      {
        level: 'info',
        message: 'Backfill job cancelled',
        fields: { jobId: 'job-1', subscriptionId: 'sub-1' },
      },
    ]);
    const status = await call('GET', '$backfill-job/job-1');
    expect(status?.headers).toEqual({ 'content-type': FHIR_JSON });
    expect((status?.body as { parameter: { name: string; valueCode?: string }[] }).parameter[2]).toEqual({
      name: 'state',
      valueCode: 'cancelled',
    });
  });

  it('answers 405 with the reason to a trigger by GET', async () => {
    const response = await handleBackfillRequest(request({ method: 'GET', body: undefined }), setup().deps);
    expect(response?.status).toBe(405);
    expect(diagnostics(response?.body)?.diagnostics).toBe('$trigger-subscription requires POST');
  });
});
