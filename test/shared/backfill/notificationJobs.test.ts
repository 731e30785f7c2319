import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../local/standins/healthlake/index.js';
import { seedResources, startFhirSourceStandin } from '../../../local/standins/healthlake/index.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import { jobStatusResource } from '../../../shared/backfill/jobStatusResource.js';
import { startNotificationJob } from '../../../shared/backfill/startNotificationJob.js';
import type { BackfillJob } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { FhirClient, type SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { backportFixture } from '../../helpers/backportNotifications.js';
import { activeSubscription, createHarness, createPipeline, fakeSubscriptions, patient } from './harness.js';

const SINCE = '2000-01-01T00:00:00Z';

// Each test reads a few hundred resources one by one over HTTP: generous timeouts for a loaded machine.
describe(
  'Notification jobs (catch-ups and id-only reads) against the source FHIR stand-in',
  { timeout: 120_000 },
  () => {
    let source: FhirStandin;
    let client: FhirClient;

    beforeAll(async () => {
      source = await startFhirSourceStandin();
      client = new FhirClient({
        baseUrl: source.endpoint,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
        timeoutMs: 2_000,
        // Unpaced: the default 10 requests a second would make each history test wait for seconds.
        requestsPerSecond: 10_000,
      });
    });
    afterAll(async () => {
      await source.stop();
    });
    beforeEach(() => {
      source.faults.reset();
      for (const id of source.store.search('Patient', { _count: ['1000'] }).resources.map((r) => r.id)) {
        source.store.delete('Patient', id ?? '');
      }
    });

    /** Starts a notification job and drains it through the worker; every write is recorded. */
    const run = async (spec: Parameters<typeof startNotificationJob>[1], maxReceives?: number) => {
      const jobs = new InMemoryJobStore();
      const queue = new InMemoryWorkQueue();
      const { pipeline, healthLake } = createPipeline([activeSubscription('all', '[*]')]);
      const completed: BackfillJob[] = [];
      const writes: string[] = [];
      const harness = createHarness({
        jobs,
        queue,
        source: client,
        pipeline: {
          accept: async (batch) => {
            writes.push(...batch.map((write) => `${write.operation} ${write.resourceType}/${write.id}`));
            return pipeline.accept(batch);
          },
        },
        subscriptions: fakeSubscriptions({}),
        compileCriteria,
        ...(maxReceives === undefined ? {} : { maxReceives }),
        onNotificationJobCompleted: async (job) => {
          completed.push(job);
        },
      });
      const jobId = await startNotificationJob({ jobs, queue }, spec);
      const drained = await harness.drain({ maxReceives: 10 });
      return { job: (await jobs.get(jobId))!, healthLake, completed, writes, drained };
    };

    it('catches up a type history _since over several pages, following the source next links', async () => {
      seedResources(
        source.store,
        Array.from({ length: 130 }, (_, i) => patient(`hp${i}`)),
      );
      const { job, healthLake, completed } = await run({
        sourceSubscriptionId: 'admissions',
        reasons: ['event-gap'],
        catchUp: { since: SINCE, resourceTypes: ['Patient'], missing: [{ from: 3, to: 3 }], events: false },
        gaps: 1,
      });
      expect(job.state).toBe('completed');
      expect(job.counts).toMatchObject({ read: 130, failed: 0 });
      expect(job.streams[0]?.page).toBeGreaterThanOrEqual(1); // a second page, from the source's own link
      expect([...healthLake.current.keys()].filter((key) => key.startsWith('Patient/hp'))).toHaveLength(130);
      expect(completed.map((done) => done.notification?.gaps)).toEqual([1]);
      // Visible as any backfill job ($backfill-job/{id}): which source Subscription, why, from when.
      expect(jobStatusResource(job).parameter).toContainEqual({
        name: 'notification',
        part: [
          { name: 'sourceSubscription', valueString: 'admissions' },
          { name: 'reason', valueCode: 'event-gap' },
          { name: 'since', valueInstant: SINCE },
          { name: 'gaps', valueUnsignedInt: 1 },
        ],
      });
      expect(jobStatusResource(job).parameter).not.toContainEqual(
        expect.objectContaining({ name: 'subscription' }),
      );
    });

    it('replicates a delete found in history, never an older version of the deleted resource (pages come newest first)', async () => {
      seedResources(source.store, [patient('gone'), patient('kept')]);
      source.store.delete('Patient', 'gone');
      const { writes } = await run({
        sourceSubscriptionId: 'admissions',
        reasons: ['heartbeat-overdue'],
        catchUp: { since: SINCE, resourceTypes: ['Patient'], missing: [], events: false },
        gaps: 0,
      });
      expect(writes).toContain('delete Patient/gone');
      expect(writes).toContain('upsert Patient/kept');
      // History is read as the source has each resource now: the older version on the page is not applied.
      expect(writes).not.toContain('upsert Patient/gone');
    });

    it('reads id-only foci as the source has them now: present replicated, gone deleted', async () => {
      seedResources(source.store, [patient('here')]);
      const { job, healthLake, writes } = await run({
        sourceSubscriptionId: 'admissions',
        reasons: ['read'],
        reads: [
          { resourceType: 'Patient', id: 'here' },
          { resourceType: 'Patient', id: 'nowhere' },
        ],
        gaps: 0,
      });
      expect(job.state).toBe('completed');
      expect(job.counts).toMatchObject({ read: 2, failed: 0 });
      expect(healthLake.current.has('Patient/here')).toBe(true);
      expect(writes.sort()).toEqual(['delete Patient/nowhere', 'upsert Patient/here']);
    });

    it('retries a read the source fails, then fails the job with its cause and no content', async () => {
      source.faults.failNext({ method: 'GET', urlIncludes: 'Patient/p1' }, 'unavailable', 100);
      const { job, drained } = await run(
        {
          sourceSubscriptionId: 'admissions',
          reasons: ['read'],
          reads: [{ resourceType: 'Patient', id: 'p1' }],
          gaps: 0,
        },
        3,
      );
      expect(drained.redelivered).toBe(2);
      expect(job.state).toBe('failed');
      expect(job.reason).toMatch(/HTTP 503/);
      expect(job.reason).not.toMatch(/Test/); // no resource content in the cause
    });

    it('asks $events first and runs the history stream only when the source cannot answer', async () => {
      seedResources(source.store, [patient('ev1')]);
      const { job, healthLake } = await run({
        sourceSubscriptionId: 'admissions',
        reasons: ['event-gap'],
        catchUp: { since: SINCE, resourceTypes: ['Patient'], missing: [{ from: 5, to: 6 }], events: true },
        gaps: 1,
      });
      // The stand-in has no $events (404): the standby history stream ran and found the resource.
      expect(job.streams.map((stream) => stream.kind)).toEqual(['events', 'history']);
      expect(job.state).toBe('completed');
      expect(healthLake.current.has('Patient/ev1')).toBe(true);
    });
  },
);

describe('Notification jobs: $events on a source that serves it', () => {
  const BASE = 'https://example.org/fhir/';
  const ENCOUNTER = '86009987-eabe-42bf-8c02-b112b18cb616';

  /** The IG's id-only example as `$events` answers it (`query-event`), holding the given numbers. */
  const eventsAnswer = (numbers: readonly number[]) => {
    const bundle = backportFixture('id-only') as {
      entry: { resource: { parameter: { name: string; valueCode?: string; part?: unknown[] }[] } }[];
    };
    const parameters = bundle.entry[0]!.resource.parameter;
    const template = parameters.find((parameter) => parameter.name === 'notification-event')!;
    const others = parameters.filter((parameter) => parameter.name !== 'notification-event');
    for (const parameter of others) if (parameter.name === 'type') parameter.valueCode = 'query-event';
    bundle.entry[0]!.resource.parameter = [
      ...others,
      ...numbers.map((n) => ({
        ...template,
        part: (template.part as { name: string }[]).map((part) =>
          part.name === 'event-number' ? { name: 'event-number', valueString: String(n) } : part,
        ),
      })),
    ];
    return bundle;
  };

  /** A source serving `$events` with `numbers`, an empty Encounter history, and the Encounter itself. */
  const fakeSource = (numbers: readonly number[]) => {
    const requested: string[] = [];
    const source: SourceReader = {
      resolveSearchUrl: (url) => `${BASE}${url}`,
      searchPage: async () => ({ resources: [] }),
      read: async (resourceType, id) => {
        requested.push(`read ${resourceType}/${id}`);
        return { resourceType, id, status: 'finished', class: { code: 'AMB' } } as FhirResource;
      },
      resolveUrl: (relative) => new URL(relative, BASE).href,
      getJson: async (url) => {
        requested.push(`get ${url.slice(BASE.length)}`);
        return url.includes('$events')
          ? eventsAnswer(numbers)
          : { resourceType: 'Bundle', type: 'history', entry: [] };
      },
    };
    return { source, requested };
  };

  const runWith = async (numbers: readonly number[]) => {
    const jobs = new InMemoryJobStore();
    const queue = new InMemoryWorkQueue();
    const { pipeline, healthLake } = createPipeline([activeSubscription('all', '[*]')]);
    const { source, requested } = fakeSource(numbers);
    const harness = createHarness({
      jobs,
      queue,
      source,
      pipeline,
      subscriptions: fakeSubscriptions({}),
      compileCriteria,
    });
    const jobId = await startNotificationJob(
      { jobs, queue },
      {
        sourceSubscriptionId: 'admission',
        reasons: ['event-gap'],
        catchUp: { since: SINCE, resourceTypes: ['Encounter'], missing: [{ from: 5, to: 6 }], events: true },
        gaps: 1,
      },
    );
    await harness.drain();
    return { job: (await jobs.get(jobId))!, requested, healthLake };
  };

  it('reads what the missed events name and leaves history alone when $events holds every missed number', async () => {
    const { job, requested, healthLake } = await runWith([5, 6]);
    expect(job.state).toBe('completed');
    expect(requested).toEqual([
      'get Subscription/admission/$events?eventsSinceNumber=5&eventsUntilNumber=6',
      `read Encounter/${ENCOUNTER}`,
    ]);
    expect(healthLake.current.has(`Encounter/${ENCOUNTER}`)).toBe(true);
  });

  it('runs the history stream when $events leaves a missed number out', async () => {
    const { job, requested } = await runWith([5]);
    expect(job.state).toBe('completed');
    expect(requested).toContain(`get Encounter/_history?_since=${encodeURIComponent(SINCE)}`);
  });
});
