import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_CATCH_UP } from '../../../shared/backfill/constants.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import {
  historyUrl,
  startNotificationJob,
  type NotificationJobSpec,
} from '../../../shared/backfill/startNotificationJob.js';

// The job and first messages a source Subscription's notifications start, read back as stored.
const NOW = new Date('2026-01-01T00:00:00.000Z');
const SINCE = '2025-12-31T23:00:00+01:00';

const start = async (spec: NotificationJobSpec, idsPerMessage?: number) => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const logs: { message: string; extra: Record<string, unknown> }[] = [];
  const logger = {
    info: (message: string, extra: Record<string, unknown>) => logs.push({ message, extra }),
    warn: () => undefined,
    error: () => undefined,
  };
  const jobId = await startNotificationJob(
    {
      jobs,
      queue,
      logger,
      now: () => NOW,
      newJobId: () => 'job-n',
      ...(idsPerMessage ? { idsPerMessage } : {}),
    },
    spec,
  );
  return { jobId, job: (await jobs.get(jobId))!, messages: queue.messages, logs };
};

describe('startNotificationJob', () => {
  it('asks $events for the span of the missed numbers, with history streams on standby', async () => {
    const { jobId, job, messages, logs } = await start({
      sourceSubscriptionId: 'admissions',
      reasons: ['event-gap'],
      catchUp: {
        since: SINCE,
        resourceTypes: ['Encounter', 'Patient'],
        missing: [
          { from: 9, to: 9 },
          { from: 4, to: 6 },
        ],
        events: true,
      },
      gaps: 2,
    });
    expect(jobId).toBe('job-n');
    const events = 'Subscription/admissions/$events?eventsSinceNumber=4&eventsUntilNumber=9';
    expect(job).toEqual({
      jobId: 'job-n',
      notification: {
        sourceSubscriptionId: 'admissions',
        reasons: ['event-gap'],
        since: SINCE,
        gaps: 2,
        missing: [
          { from: 9, to: 9 },
          { from: 4, to: 6 },
        ],
      },
      state: 'queued',
      createdAt: NOW.toISOString(),
      counts: { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 },
      streams: [
        { kind: 'events', searchUrl: events, page: -1, nextEnqueued: true, done: false },
        {
          kind: 'history',
          searchUrl: historyUrl('Encounter', SINCE),
          page: -1,
          nextEnqueued: false,
          done: false,
        },
        {
          kind: 'history',
          searchUrl: historyUrl('Patient', SINCE),
          page: -1,
          nextEnqueued: false,
          done: false,
        },
      ],
      streamsDone: 0,
      failedIds: [],
    });
    expect(historyUrl('Encounter', SINCE)).toBe(
      'Encounter/_history?_since=2025-12-31T23%3A00%3A00%2B01%3A00',
    );
    // Only $events is queued; history waits for its answer.
    expect(messages).toEqual([
      { jobId: 'job-n', task: 'events', searchIndex: 0, pageUrl: events, pageNumber: 0 },
    ]);
    expect(logs).toEqual([
      {
        message: 'Notification job created',
        extra: {
          jobId: 'job-n',
          sourceSubscriptionId: 'admissions',
          reasons: ['event-gap'],
          events: true,
          historyTypes: 2,
          reads: 0,
        },
      },
    ]);
  });

  it('goes straight to history when the source has no $events, no numbers are missing, or the span is too long', async () => {
    const catchUps = [
      { missing: [{ from: 1, to: 2 }], events: false },
      { missing: [], events: true },
      { missing: [{ from: 1, to: MAX_EVENTS_PER_CATCH_UP + 1 }], events: true },
      {
        missing: [
          { from: 1, to: 1 },
          { from: MAX_EVENTS_PER_CATCH_UP + 1, to: MAX_EVENTS_PER_CATCH_UP + 1 },
        ],
        events: true,
      },
    ];
    for (const { missing, events } of catchUps) {
      const { job, messages, logs } = await start({
        sourceSubscriptionId: 's',
        reasons: ['event-gap'],
        catchUp: { since: SINCE, resourceTypes: ['Encounter'], missing, events },
        gaps: 1,
      });
      expect(job.streams.map((stream) => [stream.kind, stream.nextEnqueued])).toEqual([['history', true]]);
      expect(job.notification).not.toHaveProperty('missing');
      expect(messages).toEqual([
        {
          jobId: 'job-n',
          task: 'history',
          searchIndex: 0,
          pageUrl: historyUrl('Encounter', SINCE),
          pageNumber: 0,
        },
      ]);
      expect(logs[0]?.extra.events).toBe(false);
    }
  });

  it('takes a span of exactly the maximum through $events', async () => {
    const { job } = await start({
      sourceSubscriptionId: 's',
      reasons: ['event-gap'],
      catchUp: {
        since: SINCE,
        resourceTypes: [],
        missing: [{ from: 1, to: MAX_EVENTS_PER_CATCH_UP }],
        events: true,
      },
      gaps: 1,
    });
    expect(job.streams.map((stream) => stream.searchUrl)).toEqual([
      `Subscription/s/$events?eventsSinceNumber=1&eventsUntilNumber=${MAX_EVENTS_PER_CATCH_UP}`,
    ]);
  });

  it('reads named resources once each, in batches, after the catch-up streams', async () => {
    const reads = ['a', 'b', 'a', 'c', 'd', 'e'].map((id) => ({ resourceType: 'Patient', id }));
    const { job, messages, logs } = await start(
      {
        sourceSubscriptionId: 's',
        reasons: ['read', 'repeat'],
        reads,
        catchUp: { since: SINCE, resourceTypes: ['Encounter'], missing: [], events: false },
        gaps: 0,
      },
      2,
    );
    expect(job.streams.map((stream) => [stream.kind, stream.idCount])).toEqual([
      ['history', undefined],
      ['ids', 2],
      ['ids', 2],
      ['ids', 1],
    ]);
    expect(messages.slice(1)).toEqual([
      { jobId: 'job-n', task: 'ids', searchIndex: 1, pageNumber: 0, ids: ['Patient/a', 'Patient/b'] },
      { jobId: 'job-n', task: 'ids', searchIndex: 2, pageNumber: 0, ids: ['Patient/c', 'Patient/d'] },
      { jobId: 'job-n', task: 'ids', searchIndex: 3, pageNumber: 0, ids: ['Patient/e'] },
    ]);
    expect(logs[0]?.extra).toMatchObject({ reads: 5, historyTypes: 1, reasons: ['read', 'repeat'] });
  });

  it('stores a read-only job without since or missing', async () => {
    const { job, messages } = await start({
      sourceSubscriptionId: 's',
      reasons: ['read'],
      reads: [{ resourceType: 'Patient', id: 'a' }],
      gaps: 0,
    });
    expect(job.notification).toEqual({ sourceSubscriptionId: 's', reasons: ['read'], gaps: 0 });
    expect(messages).toEqual([
      { jobId: 'job-n', task: 'ids', searchIndex: 0, pageNumber: 0, ids: ['Patient/a'] },
    ]);
  });
});
