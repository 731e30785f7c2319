import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_FAILED_IDS } from '../../../shared/backfill/constants.js';
import {
  createWorkProcessor,
  type BackfillWorkerDeps,
} from '../../../shared/backfill/createWorkProcessor.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import type { BackfillJob, StreamCursor, WorkMessage } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import type { SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import { activeSubscription, createPipeline, fakeSubscriptions, patient } from './harness.js';

// The worker's guards, one message at a time against a scripted source and the in-memory job store:
// messages for jobs or pages that are not there, subscriptions gone, the last receive, failed ids kept.
const NOW = new Date('2026-01-01T00:00:00.000Z');
const ZERO = { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 };

const searchCursor = (fields: Partial<StreamCursor> = {}): StreamCursor => ({
  kind: 'search',
  searchUrl: 'Patient?',
  page: -1,
  nextEnqueued: true,
  done: false,
  ...fields,
});

const newJob = (fields: Partial<BackfillJob> = {}): BackfillJob => ({
  jobId: 'job-1',
  subscriptionId: 'sub',
  state: 'queued',
  createdAt: NOW.toISOString(),
  counts: ZERO,
  streams: [searchCursor()],
  streamsDone: 0,
  failedIds: [],
  ...fields,
});

const firstPage = (fields: Partial<Extract<WorkMessage, { task: 'search' }>> = {}): WorkMessage => ({
  jobId: 'job-1',
  task: 'search',
  searchIndex: 0,
  pageUrl: 'Patient?',
  pageNumber: 0,
  ...fields,
});

/** A source answering one search page of `resources` (no next link); reads find nothing. */
const pageSource = (resources: unknown[], fields: Partial<SourceReader> = {}): SourceReader => ({
  resolveSearchUrl: (url) => `https://source.test/fhir/${url}`,
  searchPage: async () => ({ resources: resources as FhirResource[] }),
  read: async () => undefined,
  ...fields,
});

const setup = async (job: BackfillJob, deps: Partial<BackfillWorkerDeps> = {}) => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  await jobs.create(job);
  const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, extra: Record<string, unknown>) =>
    logs.push({ level, message, extra });
  const { pipeline } = createPipeline([activeSubscription('sub', '[*]')]);
  const process = createWorkProcessor({
    jobs,
    queue,
    subscriptions: fakeSubscriptions({ sub: { status: 'active' } }),
    source: pageSource([patient('p1')]),
    pipeline,
    compileCriteria,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    now: () => NOW,
    ...deps,
  });
  return { jobs, queue, process, logs };
};

describe('Backfill worker: messages that have nothing to do', () => {
  it('stops on a message for an unknown job or stream, and says so in the log', async () => {
    const { process, logs, queue } = await setup(newJob());
    for (const message of [firstPage({ jobId: 'nope' }), firstPage({ searchIndex: 3 })]) {
      expect(await process(message)).toEqual({ outcome: 'stopped', counts: ZERO, jobCompleted: false });
    }
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'Backfill message for an unknown job or stream',
        extra: { jobId: 'nope', stream: 0, page: 0 },
      },
      {
        level: 'warn',
        message: 'Backfill message for an unknown job or stream',
        extra: { jobId: 'job-1', stream: 3, page: 0 },
      },
    ]);
    expect(queue.messages).toEqual([]);
  });

  it('stops on a message of a finished job without reading anything', async () => {
    let searched = 0;
    const source = pageSource([patient('p1')], {
      searchPage: async () => {
        searched += 1;
        return { resources: [] };
      },
    });
    for (const state of ['completed', 'failed', 'cancelled'] as const) {
      const { process, jobs } = await setup(newJob({ state }), { source });
      expect((await process(firstPage())).outcome).toBe('stopped');
      expect((await jobs.get('job-1'))?.state).toBe(state);
    }
    expect(searched).toBe(0);
  });

  it('drops a page ahead of its stream cursor, logging where the cursor is', async () => {
    const { process, logs, jobs } = await setup(newJob());
    expect(
      await process(firstPage({ pageNumber: 2, pageUrl: 'https://source.test/fhir/Patient?page=3' })),
    ).toEqual({ outcome: 'stopped', counts: ZERO, jobCompleted: false });
    expect(logs).toEqual([
      {
        level: 'error',
        message: 'Backfill page ahead of its stream cursor; dropped',
        extra: { jobId: 'job-1', stream: 0, page: 2, cursor: -1 },
      },
    ]);
    expect((await jobs.get('job-1'))?.state).toBe('queued');
  });

  it('processes the next page (cursor + 1), and answers a page already committed as a duplicate', async () => {
    const twoStreams = newJob({ streams: [searchCursor(), searchCursor({ searchUrl: 'Observation?' })] });
    const { process, jobs } = await setup(twoStreams);
    const processed = await process(firstPage());
    expect(processed).toMatchObject({
      outcome: 'processed',
      counts: { read: 1, enqueued: 1 },
      jobCompleted: false,
    });
    expect(await jobs.get('job-1')).toMatchObject({ state: 'running', startedAt: NOW.toISOString() });
    expect(await process(firstPage())).toEqual({ outcome: 'duplicate', counts: ZERO, jobCompleted: false });
    // The last stream's page completes the job.
    const last = await process(firstPage({ searchIndex: 1, pageUrl: 'Observation?' }));
    expect(last).toMatchObject({ outcome: 'processed', jobCompleted: true });
    expect(await process(firstPage())).toEqual({ outcome: 'stopped', counts: ZERO, jobCompleted: false });
  });
});

describe('Backfill worker: the Subscription', () => {
  it('fails the job when its Subscription is off, gone, or active without criteria', async () => {
    const lookups = [
      fakeSubscriptions({ sub: { status: 'off' } }),
      fakeSubscriptions({}),
      { getSubscription: async () => ({ status: 'active' }) },
    ];
    for (const subscriptions of lookups) {
      const { process, jobs, logs } = await setup(newJob(), { subscriptions });
      expect(await process(firstPage())).toEqual({ outcome: 'failed', counts: ZERO, jobCompleted: false });
      const job = await jobs.get('job-1');
      expect(job).toMatchObject({ state: 'failed', reason: 'Subscription sub is no longer active' });
      expect(logs).toContainEqual({
        level: 'error',
        message: 'Backfill job failed',
        extra: { jobId: 'job-1', reason: 'Subscription sub is no longer active' },
      });
    }
  });

  it('asks for the job’s own Subscription, and for "" when a job names none', async () => {
    const asked: string[] = [];
    const subscriptions = {
      getSubscription: async (id: string) => {
        asked.push(id);
        return { status: 'active', active: activeSubscription(id, 'Patient?') };
      },
    };
    const { process } = await setup(newJob(), { subscriptions });
    await process(firstPage());
    const bare = await setup(newJob({ subscriptionId: undefined }), { subscriptions });
    await bare.process(firstPage());
    expect(asked).toEqual(['sub', '']);
  });
});

describe('Backfill worker: failures on the last receive', () => {
  const broken = pageSource([], {
    searchPage: async () => {
      throw new TypeError('a bug, not the source');
    },
  });

  it('rethrows before the last receive (5 by default), then fails the job naming the error, not its message', async () => {
    const { process, jobs } = await setup(newJob(), { source: broken });
    for (const receiveCount of [undefined, 1, 4]) {
      await expect(process(firstPage(), receiveCount === undefined ? {} : { receiveCount })).rejects.toThrow(
        'a bug, not the source',
      );
    }
    expect((await jobs.get('job-1'))?.state).toBe('running');
    expect(await process(firstPage(), { receiveCount: 5 })).toMatchObject({ outcome: 'failed' });
    expect((await jobs.get('job-1'))?.reason).toBe(
      'Page 1 of stream 1 still failing after 5 attempts: TypeError',
    );
  });

  it('uses the configured receive budget and names a source error by its message', async () => {
    const failing = pageSource([], {
      searchPage: async () => {
        throw new TransientSourceError('HTTP 503 from the source', 503);
      },
    });
    const { process, jobs } = await setup(newJob(), { source: failing, maxReceives: 2 });
    await expect(process(firstPage(), { receiveCount: 1 })).rejects.toThrow('HTTP 503');
    await process(firstPage(), { receiveCount: 2 });
    expect((await jobs.get('job-1'))?.reason).toBe(
      'Page 1 of stream 1 still failing after 2 attempts: HTTP 503 from the source',
    );
  });

  it('fails the job at once on a permanent source error, naming stream, task and page', async () => {
    const refusing = pageSource([], {
      searchPage: async () => {
        throw new PermanentSourceError('HTTP 403 from the source', 403);
      },
    });
    const { process, jobs } = await setup(newJob(), { source: refusing });
    expect((await process(firstPage(), { receiveCount: 1 })).outcome).toBe('failed');
    expect((await jobs.get('job-1'))?.reason).toBe(
      'Source error on stream 1 (search), page 1: HTTP 403 from the source',
    );
  });

  it('fails a search that needs the source’s type list when the reader cannot list types', async () => {
    const { process, jobs } = await setup(newJob(), { source: pageSource([patient('p1')]) });
    await process(firstPage({ ifSourceSearchable: true }));
    expect((await jobs.get('job-1'))?.reason).toBe(
      'Source error on stream 1 (search), page 1: The source reader cannot list types',
    );
  });

  it('loads a source that failed to load again on the next message', async () => {
    let loads = 0;
    const source = async () => {
      loads += 1;
      if (loads === 1) throw new Error('secret not readable yet');
      return pageSource([patient('p1')]);
    };
    const { process } = await setup(newJob(), { source });
    await expect(process(firstPage())).rejects.toThrow('secret not readable yet');
    expect((await process(firstPage())).outcome).toBe('processed');
    expect(loads).toBe(2);
  });
});

describe('Backfill worker: failed ids', () => {
  it('records failed ids sorted by key, in the room left under the limit', async () => {
    // Resources failing ingest's checks, in no order: each a failed id.
    const invalid = ['c', 'a', 'b', 'a2'].map((id) => ({
      resourceType: 'Patient',
      id,
      birthDate: 'not a date',
    }));
    const { process, jobs } = await setup(newJob(), { source: pageSource(invalid) });
    const outcome = await process(firstPage());
    expect(outcome.counts).toMatchObject({ read: 4, failed: 4, enqueued: 0 });
    expect((await jobs.get('job-1'))?.failedIds.map((failed) => failed.key)).toEqual([
      'Patient/a',
      'Patient/a2',
      'Patient/b',
      'Patient/c',
    ]);

    const almostFull = Array.from({ length: MAX_RECORDED_FAILED_IDS - 2 }, (_, i) => ({
      key: `Patient/old${i}`,
      reason: 'invalid' as const,
    }));
    const full = await setup(newJob({ failedIds: almostFull }), { source: pageSource(invalid) });
    expect((await full.process(firstPage())).counts.failed).toBe(4);
    const recorded = (await full.jobs.get('job-1'))?.failedIds ?? [];
    expect(recorded).toHaveLength(MAX_RECORDED_FAILED_IDS);
    expect(recorded.slice(-2).map((failed) => failed.key)).toEqual(['Patient/a', 'Patient/a2']);

    const over = await setup(newJob({ failedIds: [...almostFull, ...almostFull.slice(0, 5)] }), {
      source: pageSource(invalid),
    });
    await over.process(firstPage());
    expect((await over.jobs.get('job-1'))?.failedIds).toHaveLength(MAX_RECORDED_FAILED_IDS + 3);
  });
});
