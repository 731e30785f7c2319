import { describe, expect, it } from 'vitest';
import { BACKFILL_OPERATIONS } from '../../../shared/backfill/backfillOperations.js';
import { checkSourceResource } from '../../../shared/ingest/checkSourceResource.js';
import {
  coversEveryType,
  EVERYTHING_TYPES,
  everythingSearchUrls,
  INFRASTRUCTURE_TYPES,
  withSince,
} from '../../../shared/backfill/everythingSearchUrls.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { jobStatusResource } from '../../../shared/backfill/jobStatusResource.js';
import { parseTriggerParameters, searchUrlType } from '../../../shared/backfill/parseTriggerParameters.js';
import { parseWorkMessage } from '../../../shared/backfill/parseWorkMessage.js';
import type { BackfillJob, JobCounts } from '../../../shared/backfill/types.js';
import { refusal } from '../../helpers/outcomeRefusal.js';

const body = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });

const ZERO: JobCounts = { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 };

const job = (overrides: Partial<BackfillJob> = {}): BackfillJob => ({
  jobId: 'job-1',
  subscriptionId: 'sub-1',
  state: 'queued',
  createdAt: '2026-01-01T00:00:00.000Z',
  counts: ZERO,
  streams: [],
  streamsDone: 0,
  failedIds: [],
  ...overrides,
});

describe('Function: parseTriggerParameters', () => {
  it('means everything without resourceId or searchUrl (an absent parameter list included)', () => {
    expect(parseTriggerParameters({ resourceType: 'Parameters' })).toEqual({
      resourceIds: [],
      searchUrls: [],
    });
  });

  it('reads ids from every string value, trimmed and once each, and searches without a leading slash', () => {
    expect(
      parseTriggerParameters(
        body(
          { name: 'resourceId', valueUri: ' Patient/a ' },
          { name: 'resourceId', valueUrl: 'Patient/b' },
          { name: 'resourceId', valueReference: { reference: 'Patient/a' } },
          { name: 'searchUrl', valueUri: ' //Observation?code=x ' },
          { name: 'searchUrl', valueUrl: 'Encounter?' },
          { name: '_since', valueDateTime: '2026-01-01T00:00:00.123+01:00' },
        ),
      ),
    ).toEqual({
      resourceIds: ['Patient/a', 'Patient/b'],
      searchUrls: ['Observation?code=x', 'Encounter?'],
      since: '2026-01-01T00:00:00.123+01:00',
    });
    expect(parseTriggerParameters(body({ name: '_since', valueString: '2026-01-01T00:00:00Z' })).since).toBe(
      '2026-01-01T00:00:00Z',
    );
  });

  it.each([
    ['a body that is not an object', 'Parameters', /must be a Parameters resource/, 'Parameters'],
    ['a body of another type', 'Parameters', /must be a Parameters resource/, { resourceType: 'Patient' }],
    ['null', 'Parameters', /must be a Parameters resource/, null],
    [
      'parameter that is not an array',
      'Parameters.parameter',
      /must be an array/,
      { resourceType: 'Parameters', parameter: 'x' },
    ],
    [
      'a resourceId without a value',
      'Parameters.parameter[0].value',
      /resourceId must be a relative reference Type\/id/,
      body({ name: 'resourceId' }),
    ],
    [
      'a blank resourceId',
      'Parameters.parameter[0].value',
      /resourceId must be/,
      body({ name: 'resourceId', valueString: '  ' }),
    ],
    [
      'a resourceId of a lower-case type',
      'Parameters.parameter[0].value',
      /resourceId must be/,
      body({ name: 'resourceId', valueString: 'patient/1' }),
    ],
    [
      'a resourceId without a type',
      'Parameters.parameter[0].value',
      /resourceId must be/,
      body({ name: 'resourceId', valueString: '/1' }),
    ],
    [
      'a resourceId of a number',
      'Parameters.parameter[1].value',
      /resourceId must be/,
      body({ name: 'resourceId', valueString: 'Patient/1' }, { name: 'resourceId', valueUri: 7 }),
    ],
    [
      'a searchUrl without a value',
      'Parameters.parameter[0].value',
      /searchUrl must contain "\?"/,
      body({ name: 'searchUrl' }),
    ],
    [
      'a searchUrl with a space',
      'Parameters.parameter[0].value',
      /searchUrl must be a search relative to the source server/,
      body({ name: 'searchUrl', valueString: 'Patient?name=a b' }),
    ],
    [
      'a searchUrl with a fragment',
      'Parameters.parameter[0].value',
      /searchUrl must be a search relative/,
      body({ name: 'searchUrl', valueString: 'Patient?name=a#b' }),
    ],
    [
      'a _since without a zone',
      'Parameters.parameter[0].value',
      /_since must be given once, as an instant/,
      body({ name: '_since', valueInstant: '2026-01-01T00:00:00' }),
    ],
    [
      'a _since that is not a date',
      'Parameters.parameter[0].value',
      /_since must be given once/,
      body({ name: '_since', valueInstant: '2026-02-30T00:00:00Zx' }),
    ],
    [
      'an impossible _since',
      'Parameters.parameter[0].value',
      /_since must be given once/,
      body({ name: '_since', valueInstant: '2026-13-01T00:00:00Z' }),
    ],
    [
      'a _since that is not a string',
      'Parameters.parameter[0].value',
      /_since must be given once/,
      body({ name: '_since', valueInteger: 1 }),
    ],
    [
      'a _since given twice',
      'Parameters.parameter[1].value',
      /_since must be given once/,
      body(
        { name: '_since', valueInstant: '2026-01-01T00:00:00Z' },
        { name: '_since', valueInstant: '2026-01-01T00:00:00Z' },
      ),
    ],
    [
      'a parameter without a name',
      'Parameters.parameter[0].name',
      /Unknown parameter: only resourceId, searchUrl and _since are supported/,
      body({ valueString: 'Patient/1' }),
    ],
    ['a null parameter', 'Parameters.parameter[0].name', /Unknown parameter/, body(null)],
  ])('refuses %s with 400 at %s', (_what, expression, diagnostics, input) => {
    expect(refusal(() => parseTriggerParameters(input))).toMatchObject({ status: 400, expression });
    expect(refusal(() => parseTriggerParameters(input)).diagnostics).toMatch(diagnostics);
  });

  it('refuses more than 10,000 ids and more than 50 searches with 413', () => {
    const ids = Array.from({ length: 10_001 }, (_, i) => ({
      name: 'resourceId',
      valueString: `Patient/p${i}`,
    }));
    expect(refusal(() => parseTriggerParameters(body(...ids))).status).toBe(413);
    expect(parseTriggerParameters(body(...ids.slice(1))).resourceIds).toHaveLength(10_000);
    const urls = Array.from({ length: 51 }, (_, i) => ({ name: 'searchUrl', valueString: `Patient?a=${i}` }));
    expect(refusal(() => parseTriggerParameters(body(...urls))).status).toBe(413);
    expect(parseTriggerParameters(body(...urls.slice(1))).searchUrls).toHaveLength(50);
  });

  it('names the type of a search', () => {
    expect(searchUrlType('Observation?code=x')).toBe('Observation');
    expect(searchUrlType('Patient?')).toBe('Patient');
  });
});

describe('Function: everythingSearchUrls', () => {
  it('searches each listed type once, in the given order and then alphabetically', () => {
    expect(
      everythingSearchUrls(' [ Observation, Goal ,Patient,,Goal, Organization] ', [
        'Organization',
        'Patient',
      ]),
    ).toEqual(['Organization?', 'Patient?', 'Goal?', 'Observation?']);
  });

  it('expands [*] to every R4 type but infrastructure ones', () => {
    const searches = everythingSearchUrls('[*]', []);
    expect(searches).toHaveLength(EVERYTHING_TYPES.length);
    expect(searches).toContain('Patient?');
    expect(searches).not.toContain('Subscription?');
    expect(searches).not.toContain('Binary?');
    expect(EVERYTHING_TYPES.some((type) => INFRASTRUCTURE_TYPES.has(type))).toBe(false);
    expect([...searches].sort()).toEqual(searches);
  });

  it('runs a search criteria as it is, and a bare type as its search', () => {
    expect(everythingSearchUrls(' Observation?code=x ', [])).toEqual(['Observation?code=x']);
    expect(everythingSearchUrls('Observation', [])).toEqual(['Observation?']);
  });

  it('adds the _since bound to every search', () => {
    expect(everythingSearchUrls('[Patient]', [], '2026-01-01T00:00:00+01:00')).toEqual([
      'Patient?_lastUpdated=gt2026-01-01T00%3A00%3A00%2B01%3A00',
    ]);
    expect(withSince('Observation?code=x', '2026-01-01T00:00:00Z')).toBe(
      'Observation?code=x&_lastUpdated=gt2026-01-01T00%3A00%3A00Z',
    );
  });

  it('refuses criteria that list more than 50 types, but not [*]', () => {
    const types = (count: number) =>
      Array.from(
        { length: count },
        (_, i) => `T${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}`,
      );
    expect(everythingSearchUrls(`[${types(50).join(',')}]`, [])).toHaveLength(50);
    expect(refusal(() => everythingSearchUrls(`[${types(51).join(',')}]`, []))).toMatchObject({
      status: 400,
      expression: 'Subscription.criteria',
    });
    expect(EVERYTHING_TYPES.length).toBeGreaterThan(50);
  });

  it('knows which criteria cover every type', () => {
    expect(coversEveryType('[*]')).toBe(true);
    expect(coversEveryType(' [ * ] ')).toBe(true);
    expect(coversEveryType('[*,Patient]')).toBe(false);
    expect(coversEveryType('x[*]')).toBe(false);
    expect(coversEveryType('[*]x')).toBe(false);
  });
});

describe('Function: jobStatusResource', () => {
  it('reports every field of a finished job, its streams and failed ids', () => {
    const status = jobStatusResource(
      job({
        state: 'failed',
        startedAt: '2026-01-01T00:00:01.000Z',
        endedAt: '2026-01-01T00:00:02.000Z',
        reason: 'source refused',
        counts: { read: 6, matched: 5, enqueued: 4, skipped: 3, failed: 2, conflicts: 1 },
        streams: [
          {
            kind: 'search',
            searchUrl: 'Observation?code=x',
            page: 1,
            nextEnqueued: true,
            done: true,
            read: 6,
            enqueued: 4,
          },
          { kind: 'ids', idCount: 2, page: -1, nextEnqueued: true, done: false },
        ],
        streamsDone: 1,
        failedIds: [{ key: 'Patient/a', reason: 'not-found' }, { key: 'Patient/b' }],
      }),
    );
    expect(status).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'jobId', valueString: 'job-1' },
        { name: 'subscription', valueReference: { reference: 'Subscription/sub-1' } },
        { name: 'state', valueCode: 'failed' },
        { name: 'createdAt', valueInstant: '2026-01-01T00:00:00.000Z' },
        { name: 'startedAt', valueInstant: '2026-01-01T00:00:01.000Z' },
        { name: 'endedAt', valueInstant: '2026-01-01T00:00:02.000Z' },
        { name: 'reason', valueString: 'source refused' },
        { name: 'read', valueUnsignedInt: 6 },
        { name: 'matched', valueUnsignedInt: 5 },
        { name: 'enqueued', valueUnsignedInt: 4 },
        { name: 'skipped', valueUnsignedInt: 3 },
        { name: 'failed', valueUnsignedInt: 2 },
        { name: 'conflicts', valueUnsignedInt: 1 },
        { name: 'streamsDone', valueUnsignedInt: 1 },
        { name: 'streamCount', valueUnsignedInt: 2 },
        {
          name: 'stream',
          part: [
            { name: 'index', valueUnsignedInt: 0 },
            { name: 'kind', valueCode: 'search' },
            { name: 'resourceType', valueCode: 'Observation' },
            { name: 'searchUrl', valueString: 'Observation?code=x' },
            { name: 'pagesCompleted', valueUnsignedInt: 2 },
            { name: 'read', valueUnsignedInt: 6 },
            { name: 'enqueued', valueUnsignedInt: 4 },
            { name: 'done', valueBoolean: true },
          ],
        },
        {
          name: 'stream',
          part: [
            { name: 'index', valueUnsignedInt: 1 },
            { name: 'kind', valueCode: 'ids' },
            { name: 'idCount', valueUnsignedInt: 2 },
            { name: 'pagesCompleted', valueUnsignedInt: 0 },
            { name: 'read', valueUnsignedInt: 0 },
            { name: 'enqueued', valueUnsignedInt: 0 },
            { name: 'done', valueBoolean: false },
          ],
        },
        {
          name: 'failedId',
          part: [
            { name: 'resource', valueString: 'Patient/a' },
            { name: 'reason', valueCode: 'not-found' },
          ],
        },
        { name: 'failedId', part: [{ name: 'resource', valueString: 'Patient/b' }] },
      ],
    });
  });

  it('leaves out the times and reason a queued job does not have', () => {
    const names = jobStatusResource(job()).parameter.map(({ name }) => name);
    expect(names).toEqual([
      'jobId',
      'subscription',
      'state',
      'createdAt',
      'read',
      'matched',
      'enqueued',
      'skipped',
      'failed',
      'conflicts',
      'streamsDone',
      'streamCount',
    ]);
  });
});

describe('Function: parseWorkMessage', () => {
  it('reads search and id messages', () => {
    const search = {
      jobId: 'j',
      task: 'search',
      searchIndex: 0,
      pageUrl: 'Patient?',
      pageNumber: 2,
      ifSourceSearchable: true,
    };
    expect(parseWorkMessage(JSON.stringify(search))).toEqual(search);
    const ids = {
      jobId: 'j',
      task: 'ids',
      searchIndex: 1,
      pageNumber: 0,
      ids: ['Patient/a', 'Observation/b.1'],
    };
    expect(parseWorkMessage(JSON.stringify(ids))).toEqual(ids);
  });

  it.each([
    { jobId: '', task: 'search', searchIndex: 0, pageUrl: 'Patient?', pageNumber: 0 },
    { jobId: 'j'.repeat(65), task: 'search', searchIndex: 0, pageUrl: 'Patient?', pageNumber: 0 },
    { jobId: 'j', task: 'search', searchIndex: -1, pageUrl: 'Patient?', pageNumber: 0 },
    { jobId: 'j', task: 'search', searchIndex: 0, pageUrl: '', pageNumber: 0 },
    { jobId: 'j', task: 'search', searchIndex: 0, pageUrl: 'Patient?', pageNumber: 0.5 },
    {
      jobId: 'j',
      task: 'search',
      searchIndex: 0,
      pageUrl: 'Patient?',
      pageNumber: 0,
      ifSourceSearchable: false,
    },
    { jobId: 'j', task: 'ids', searchIndex: 0, pageNumber: 1, ids: ['Patient/a'] },
    { jobId: 'j', task: 'ids', searchIndex: 0, pageNumber: 0, ids: [] },
    { jobId: 'j', task: 'ids', searchIndex: 0, pageNumber: 0, ids: ['Patient/a/_history/1'] },
    { jobId: 'j', task: 'ids', searchIndex: 0, pageNumber: 0, ids: ['x Patient/a'] },
    { jobId: 'j', task: 'ids', searchIndex: 0, pageNumber: 0, ids: ['Patient/a x'] },
  ])('refuses %j', (message) => {
    expect(() => parseWorkMessage(JSON.stringify(message))).toThrow();
  });
});

describe('Function: checkSourceResource', () => {
  const now = () => new Date('2026-01-01T00:00:00Z');
  const patient = {
    resourceType: 'Patient',
    id: 'p1',
    meta: { versionId: '1', lastUpdated: '2025-12-31T00:00:00Z' },
  };

  it('accepts a valid resource, and a read of the id asked for', () => {
    expect(checkSourceResource(patient, { now })).toEqual({ ok: true, resource: patient });
    expect(
      checkSourceResource(patient, { now, expected: { resourceType: 'Patient', id: 'p1' } }),
    ).toMatchObject({ ok: true });
  });

  it('fails a read that answers another resource, naming the one asked for', () => {
    expect(checkSourceResource(patient, { now, expected: { resourceType: 'Patient', id: 'p2' } })).toEqual({
      ok: false,
      failedId: 'Patient/p2',
    });
  });

  it('fails what ingest refuses, quoting no invalid type or id', () => {
    expect(checkSourceResource({ ...patient, id: 'a b' }, { now })).toEqual({
      ok: false,
      failedId: 'Patient/(invalid id)',
    });
    expect(checkSourceResource({ ...patient, resourceType: 'http://x' }, { now })).toEqual({
      ok: false,
      failedId: '(resource without a valid type)',
    });
    expect(checkSourceResource(null, { now })).toEqual({
      ok: false,
      failedId: '(resource without a valid type)',
    });
    expect(checkSourceResource({ ...patient, gender: 42 }, { now })).toEqual({
      ok: false,
      failedId: 'Patient/p1',
    });
    // Structure checks can be turned off, as ingest's can.
    expect(checkSourceResource({ ...patient, gender: 42 }, { now, validate: false })).toMatchObject({
      ok: true,
    });
  });

  it('fails a resource too deeply nested, and one updated further in the future than ingest allows', () => {
    let deep: Record<string, unknown> = { url: 'x' };
    for (let depth = 0; depth < 200; depth += 1) deep = { extension: [deep] };
    expect(checkSourceResource({ ...patient, extension: [deep] }, { now, validate: false })).toEqual({
      ok: false,
      failedId: 'Patient/p1',
    });
    const future = { ...patient, meta: { versionId: '1', lastUpdated: '2026-01-02T00:00:00Z' } };
    expect(checkSourceResource(future, { now })).toEqual({ ok: false, failedId: 'Patient/p1' });
    expect(checkSourceResource(future, { now: () => new Date('2026-01-02T00:00:00Z') })).toMatchObject({
      ok: true,
    });
  });
});

describe('Class: InMemoryJobStore', () => {
  const stream = {
    kind: 'search' as const,
    searchUrl: 'Patient?',
    page: -1,
    nextEnqueued: true,
    done: false,
  };
  const commit = (page: number, nextUrl?: string) => ({
    stream: 0,
    page,
    ...(nextUrl === undefined ? {} : { nextUrl }),
    counts: { ...ZERO, read: 2, enqueued: 1, failed: 1 },
    failedIds: [{ key: `Patient/f${page}` }],
  });

  it('keeps a copy: changing what was stored or read changes nothing', async () => {
    const jobs = new InMemoryJobStore();
    const stored = job({ streams: [stream] });
    await jobs.create(stored);
    await expect(jobs.create(stored)).rejects.toThrow(/exists/);
    (stored.streams as unknown[]).push(stream);
    const read = await jobs.get('job-1');
    expect(read?.streams).toHaveLength(1);
    (read?.streams as unknown[]).push(stream);
    expect((await jobs.get('job-1'))?.streams).toHaveLength(1);
    expect(await jobs.get('other')).toBeUndefined();
  });

  it('starts a queued job once, commits pages in order, and completes when every stream is done', async () => {
    const jobs = new InMemoryJobStore();
    await jobs.create(job({ streams: [stream] }));
    await jobs.markRunning('job-1', 't1');
    await jobs.markRunning('job-1', 't2');
    expect(await jobs.get('job-1')).toMatchObject({ state: 'running', startedAt: 't1' });
    expect(await jobs.commitPage('job-1', commit(1, 'next'))).toBe(false);
    expect(await jobs.commitPage('job-1', commit(0, 'next'))).toBe(true);
    expect(await jobs.commitPage('job-1', commit(0, 'next'))).toBe(false);
    expect(await jobs.completeIfDone('job-1', 't3')).toBe(false);
    let current = await jobs.get('job-1');
    expect(current?.streams[0]).toEqual({
      ...stream,
      page: 0,
      nextUrl: 'next',
      nextEnqueued: false,
      read: 2,
      enqueued: 1,
    });
    await jobs.markNextEnqueued('job-1', 0, 1);
    expect((await jobs.get('job-1'))?.streams[0]?.nextEnqueued).toBe(false);
    await jobs.markNextEnqueued('job-1', 0, 0);
    expect((await jobs.get('job-1'))?.streams[0]?.nextEnqueued).toBe(true);
    expect(await jobs.commitPage('job-1', commit(1))).toBe(true);
    current = await jobs.get('job-1');
    expect(current?.streams[0]).toEqual({
      ...stream,
      page: 1,
      nextEnqueued: true,
      done: true,
      read: 4,
      enqueued: 2,
    });
    expect(current?.streams[0]).not.toHaveProperty('nextUrl');
    expect(current).toMatchObject({
      streamsDone: 1,
      counts: { ...ZERO, read: 4, enqueued: 2, failed: 2 },
      failedIds: [{ key: 'Patient/f0' }, { key: 'Patient/f1' }],
    });
    expect(await jobs.completeIfDone('job-1', 't4')).toBe(true);
    expect(await jobs.completeIfDone('job-1', 't5')).toBe(false);
    expect(await jobs.get('job-1')).toMatchObject({ state: 'completed', endedAt: 't4' });
    expect(await jobs.finish('job-1', 'cancelled', 'late', 't6')).toMatchObject({
      state: 'completed',
      endedAt: 't4',
    });
  });

  it('finishes an open job once, and knows no unknown job', async () => {
    const jobs = new InMemoryJobStore();
    await jobs.create(job({ streams: [stream] }));
    expect(await jobs.finish('job-1', 'failed', 'broken', 't1')).toMatchObject({
      state: 'failed',
      reason: 'broken',
      endedAt: 't1',
    });
    expect(await jobs.finish('job-1', 'cancelled', 'again', 't2')).toMatchObject({
      state: 'failed',
      reason: 'broken',
    });
    expect(await jobs.finish('nope', 'failed', 'x', 't')).toBeUndefined();
    expect(await jobs.commitPage('nope', commit(0))).toBe(false);
    expect(await jobs.commitPage('job-1', { ...commit(0), stream: 3 })).toBe(false);
    expect(await jobs.completeIfDone('nope', 't')).toBe(false);
    await jobs.markNextEnqueued('nope', 0, 0);
    await jobs.markRunning('nope', 't');
    expect(await jobs.get('nope')).toBeUndefined();
  });
});

describe('BACKFILL_OPERATIONS', () => {
  it('lists $trigger-subscription and $backfill-job, with its documentation, for GET metadata', () => {
    expect(BACKFILL_OPERATIONS.map((operation) => operation.name)).toEqual([
      'trigger-subscription',
      'backfill-job',
    ]);
    const job = BACKFILL_OPERATIONS[1]!;
    expect(job.on).toBe('system');
    expect(job.definition).toBe('urn:healthlake-connector:OperationDefinition:backfill-job');
    expect(job.documentation).toMatch(/^GET \[base\]\/\$backfill-job\/\{jobId\}.*\$cancel cancels it\.$/);
  });
});
