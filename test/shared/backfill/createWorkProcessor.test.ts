import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../local/standins/healthlake/index.js';
import { seedResources, startFhirSourceStandin } from '../../../local/standins/healthlake/index.js';
import { MAX_COMPILED_CRITERIA } from '../../../shared/backfill/constants.js';
import { SUBSCRIPTION_DEFAULTS } from '../../../shared/subscriptions/constants.js';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import type { SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import type { SubscriptionLookup } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import {
  CrashingPipeline,
  activeSubscription,
  createHarness,
  createPipeline,
  fakeSubscriptions,
  listSource,
  observation,
  patient,
} from './harness.js';

const SUBSCRIPTION = 'sub-1';
const PATIENTS = 45;
const OBSERVATIONS = 30;

const trigger = (parameter: unknown[]): FhirRequest => ({
  method: 'POST',
  path: `Subscription/${SUBSCRIPTION}/$trigger-subscription`,
  query: {},
  headers: {},
  body: { resourceType: 'Parameters', parameter },
  requestId: 'req-1',
  baseUrl: 'https://connector.test/fhir',
});

describe('Backfill worker against the source FHIR stand-in', () => {
  let source: FhirStandin;
  let client: FhirClient;

  beforeAll(async () => {
    source = await startFhirSourceStandin();
    const resources = [
      ...Array.from({ length: PATIENTS }, (_, i) => patient(`p${i}`)),
      ...Array.from({ length: OBSERVATIONS }, (_, i) =>
        observation(`o${i}`, i % 2 === 0 ? '1234-5' : '9999-9', `Patient/p${i}`),
      ),
    ];
    seedResources(source.store, resources);
    client = new FhirClient({
      baseUrl: source.endpoint,
      pageSize: 10,
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
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
  });

  const setup = (criteria = '[*]', subscriptions?: SubscriptionLookup, reader: SourceReader = client) => {
    const sub = activeSubscription(SUBSCRIPTION, criteria);
    const { pipeline, healthLake, messages } = createPipeline([sub]);
    const crashing = new CrashingPipeline(pipeline);
    const lookup = subscriptions ?? fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active', criteria } });
    const harness = createHarness({
      subscriptions: lookup,
      source: reader,
      pipeline: crashing,
      compileCriteria,
    });
    const start = async (parameter: unknown[]) => {
      const response = await handleBackfillRequest(trigger(parameter), {
        jobs: harness.jobs,
        subscriptions: lookup,
        queue: harness.queue,
        compileCriteria,
        idsPerMessage: 4,
      });
      expect(response?.status).toBe(202);
      const body = response?.body as { parameter: { name: string; valueString?: string }[] };
      const jobId = body.parameter.find((p) => p.name === 'jobId')?.valueString;
      if (!jobId) throw new Error('no jobId');
      return jobId;
    };
    return { harness, healthLake, messages, crashing, pipeline, start };
  };

  it('backfills a multi-page search page by page and completes the job with exact counts', async () => {
    const { harness, healthLake, start } = setup();
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=10' }]);
    const { processed } = await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(processed).toBe(5);
    expect(job?.state).toBe('completed');
    expect(job?.counts).toEqual({
      read: PATIENTS,
      matched: PATIENTS,
      enqueued: PATIENTS,
      skipped: 0,
      failed: 0,
      conflicts: 0,
    });
    expect(job?.streams[0]).toMatchObject({ page: 4, done: true });
    expect(healthLake.current.size).toBe(PATIENTS);
    expect(job?.startedAt).toBeDefined();
    expect(job?.endedAt).toBeDefined();
  });

  it('backfills everything under [*]: every type the source CapabilityStatement can search, supporting types first', async () => {
    // The source can search only some types; the others complete empty without a request.
    const limited: SourceReader = {
      resolveSearchUrl: (url) => client.resolveSearchUrl(url),
      searchPage: (url) => client.searchPage(url),
      read: (type, id) => client.read(type, id),
      searchableTypes: async () => {
        const all = await client.searchableTypes();
        expect(all.has('Patient')).toBe(true);
        return new Set(['Patient', 'Observation']);
      },
    };
    const { harness, healthLake, start } = setup('[*]', undefined, limited);
    const jobId = await start([]);
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('completed');
    expect(job?.counts).toMatchObject({ read: PATIENTS + OBSERVATIONS, enqueued: PATIENTS + OBSERVATIONS });
    expect(healthLake.current.size).toBe(PATIENTS + OBSERVATIONS);
    const types = job?.streams.map((stream) => stream.searchUrl?.slice(0, stream.searchUrl.indexOf('?')));
    expect(types?.slice(0, 5)).toEqual([
      'Organization',
      'Location',
      'Practitioner',
      'PractitionerRole',
      'Patient',
    ]);
    expect(types).not.toContain('Subscription');
    expect(types).not.toContain('StructureDefinition');
    expect(job?.streams.every((stream) => stream.done)).toBe(true);
    const patients = job?.streams.find((stream) => stream.searchUrl?.startsWith('Patient?'));
    expect(patients).toMatchObject({ read: PATIENTS, enqueued: PATIENTS });
    const goals = job?.streams.find((stream) => stream.searchUrl?.startsWith('Goal?'));
    expect(goals).toMatchObject({ read: 0, done: true });
  });

  it('checks every resource read against the criteria when the search is broader', async () => {
    const { harness, healthLake, start } = setup('Observation?code=http://loinc.org|1234-5');
    const jobId = await start([{ name: 'searchUrl', valueString: 'Observation?status=final' }]);
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(job?.counts.read).toBe(OBSERVATIONS);
    expect(job?.counts.matched).toBe(OBSERVATIONS / 2);
    expect(
      [...healthLake.current.keys()].every((key) => Number(key.slice('Observation/o'.length)) % 2 === 0),
    ).toBe(true);
  });

  it('reads resourceId lists in batches and records unknown ids as failed without failing the job', async () => {
    const { harness, healthLake, start } = setup();
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'nope-1', 'p6'].map((id) => ({
      name: 'resourceId',
      valueUri: `Patient/${id}`,
    }));
    const jobId = await start([...ids, { name: 'resourceId', valueString: 'Observation/missing' }]);
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('completed');
    expect(job?.streams).toHaveLength(2);
    expect(job?.counts).toMatchObject({ read: 6, matched: 6, enqueued: 6, failed: 2 });
    expect(job?.failedIds).toEqual([
      { key: 'Observation/missing', reason: 'not-found' },
      { key: 'Patient/nope-1', reason: 'not-found' },
    ]);
    expect(healthLake.current.has('Patient/p6')).toBe(true);
  });

  it('retries a page that fails twice and then succeeds, without redelivery', async () => {
    const { harness, healthLake, start } = setup();
    source.faults.failNext({ method: 'GET', urlIncludes: '_cursor=' }, 'server-error', 2);
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?gender=unknown' }]);
    const { redelivered } = await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(redelivered).toBe(0);
    expect(job?.state).toBe('completed');
    expect(healthLake.current.size).toBe(PATIENTS);
    expect(source.faults.injected['server-error']).toBeGreaterThanOrEqual(2);
  });

  it('resumes a page whose worker died mid-page: nothing lost, nothing duplicated, no page re-read from the start', async () => {
    const { harness, healthLake, crashing, messages, start } = setup();
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=10' }]);
    let pagesSeen = 0;
    const { redelivered } = await harness.drain({
      beforeEach: (message) => {
        pagesSeen += 1;
        if (message.pageNumber === 2 && crashing.crashes === 0) crashing.crashAfter = 4;
      },
    });
    const job = await harness.jobs.get(jobId);
    expect(crashing.crashes).toBe(1);
    expect(redelivered).toBe(1);
    expect(pagesSeen).toBe(6); // 5 pages + 1 redelivery of page 2
    expect(job?.state).toBe('completed');
    expect(job?.counts.read).toBe(PATIENTS);
    expect(healthLake.current.size).toBe(PATIENTS);
    // every resource delivered exactly once at its version (the redelivered page's first 4 were `current`)
    expect(healthLake.puts).toHaveLength(PATIENTS);
    expect(new Set(healthLake.puts).size).toBe(PATIENTS);
    // only the crashed page was redone: its 4 already-accepted resources were re-sent (deduplicated downstream)
    expect(messages).toHaveLength(PATIENTS + 4);
  });

  it('counts a page once when its message is delivered twice', async () => {
    const { harness, start } = setup();
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=20' }]);
    const first = harness.queue.messages[0];
    if (!first) throw new Error('no message');
    harness.queue.messages.push(structuredClone(first));
    const { outcomes } = await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(1);
    expect(job?.counts.read).toBe(PATIENTS);
    expect(job?.state).toBe('completed');
  });

  it('stops before the next page once the job is cancelled', async () => {
    const { harness, healthLake, start } = setup();
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=10' }]);
    const deps = { jobs: harness.jobs, subscriptions: fakeSubscriptions({}), queue: harness.queue };
    const cancelStatuses: (number | undefined)[] = [];
    await harness.drain({
      beforeEach: async (message) => {
        if (message.pageNumber !== 2) return;
        const response = await handleBackfillRequest(
          { ...trigger([]), method: 'DELETE', path: `$backfill-job/${jobId}` },
          deps,
        );
        cancelStatuses.push(response?.status);
      },
    });
    expect(cancelStatuses).toEqual([200]);
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('cancelled');
    expect(job?.counts.read).toBe(20);
    expect(healthLake.current.size).toBe(20);
    expect(harness.queue.messages).toHaveLength(0);
  });

  it('keeps the newer version when a live update races the backfill of the same resource', async () => {
    const race: { live?: (resource: FhirResource) => Promise<unknown> } = {};
    const racingSource: SourceReader = {
      resolveSearchUrl: (url) => client.resolveSearchUrl(url),
      read: (type, id) => client.read(type, id),
      searchPage: async (url) => {
        const page = await client.searchPage(url);
        // While the page is in flight, the system of record updates p0 and ingest delivers the new version.
        const { resource } = source.store.put(patient('p0', 'Newer'));
        await race.live?.(resource as FhirResource);
        return page;
      },
    };
    const { harness, healthLake, pipeline, start } = setup('[*]', undefined, racingSource);
    race.live = (resource) =>
      pipeline.accept([
        {
          operation: 'upsert',
          resourceType: 'Patient',
          id: 'p0',
          resource,
          source: 'ingest',
          requestId: 'live-1',
        },
      ]);
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_id=p0' }]);
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    const newest = source.store.current('Patient', 'p0')?.meta?.versionId;
    expect(newest).not.toBe('1');
    expect(job?.state).toBe('completed');
    expect(job?.counts).toMatchObject({ read: 1, matched: 1, skipped: 1, enqueued: 0 });
    expect(healthLake.current.get('Patient/p0')?.versionId).toBe(newest);
  });

  it('fails the job with a clear reason on a permanent source error', async () => {
    const { harness, start } = setup();
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?not-a-param=1' }]);
    const { outcomes } = await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(outcomes[0]?.outcome).toBe('failed');
    expect(job?.state).toBe('failed');
    expect(job?.reason).toMatch(/HTTP 400 to a search/);
  });

  it('fails the job with its reason when a page keeps failing on its last receive', async () => {
    const { harness, start } = setup();
    source.faults.failNext({ method: 'GET', urlIncludes: '_cursor=' }, 'unavailable', 100);
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=10' }]);
    const { redelivered, outcomes } = await harness.drain({ maxReceives: 10 });
    const job = await harness.jobs.get(jobId);
    expect(redelivered).toBe(4);
    expect(outcomes.map((o) => o.outcome)).toEqual(['processed', 'failed']);
    expect(job?.state).toBe('failed');
    expect(job?.reason).toMatch(
      /Page 2 of stream 1 still failing after 5 attempts: Source still failing after 4 attempts \(HTTP 503\)/,
    );
    expect(job?.counts.read).toBe(10);
  });

  it('fails the job when the subscription is no longer active', async () => {
    const statuses: Record<string, { status: string }> = { [SUBSCRIPTION]: { status: 'active' } };
    const lookup = fakeSubscriptions(statuses);
    const { harness, start } = setup('[*]', lookup);
    const jobId = await start([{ name: 'searchUrl', valueString: 'Patient?_count=10' }]);
    statuses[SUBSCRIPTION] = { status: 'off' };
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('failed');
    expect(job?.reason).toMatch(/no longer active/);
  });
});

describe('Backfill worker on an in-memory source', () => {
  it('keeps a bounded number of compiled criteria, the recently used, over the subscriptions it meets', async () => {
    // One worker instance living through changes of its subscription's criteria.
    const entry = { status: 'active', criteria: '[Patient]' };
    const lookup = fakeSubscriptions({ [SUBSCRIPTION]: entry });
    const compiled: string[] = [];
    const { pipeline } = createPipeline([activeSubscription(SUBSCRIPTION, '[Patient]')]);
    const harness = createHarness({
      subscriptions: lookup,
      source: listSource([patient('a')], 1),
      pipeline,
      compileCriteria: (criteria) => {
        compiled.push(criteria);
        return compileCriteria(criteria);
      },
      maxCompiledCriteria: 3,
    });
    const backfillWith = async (index: number) => {
      entry.criteria = `Patient?identifier=urn:soak|${index}`;
      await handleBackfillRequest(trigger([{ name: 'searchUrl', valueString: 'Patient?x=1' }]), {
        jobs: harness.jobs,
        subscriptions: lookup,
        queue: harness.queue,
      });
      await harness.drain();
    };
    for (let index = 0; index < 10; index += 1) await backfillWith(index);
    expect(new Set(compiled).size).toBe(10);
    // The three most recent are still compiled; an older one made room and is compiled again.
    const before = compiled.length;
    for (const index of [9, 8, 7]) await backfillWith(index);
    expect(compiled.length).toBe(before);
    await backfillWith(6);
    expect(compiled.length).toBe(before + 1);
  });

  it("keeps at most MAX_COMPILED_CRITERIA by default: a deployment's subscription limit", () => {
    expect(MAX_COMPILED_CRITERIA).toBe(SUBSCRIPTION_DEFAULTS.maxSubscriptions);
  });

  it('accepts a page in chunks and sums their results', async () => {
    const resources = Array.from({ length: 25 }, (_, i) => patient(`c${i}`));
    const { pipeline, healthLake } = createPipeline([activeSubscription(SUBSCRIPTION, '[Patient]')]);
    const harness = createHarness({
      subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active', criteria: '[Patient]' } }),
      source: listSource(resources, 25),
      pipeline,
      compileCriteria,
      acceptChunkSize: 7,
    });
    await handleBackfillRequest(trigger([{ name: 'searchUrl', valueString: 'Patient?x=1' }]), {
      jobs: harness.jobs,
      subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active' } }),
      queue: harness.queue,
    });
    const { outcomes } = await harness.drain();
    expect(outcomes[0]?.counts).toMatchObject({ read: 25, enqueued: 25 });
    expect(healthLake.current.size).toBe(25);
  });

  it('loads the source lazily, once, when given a loader', async () => {
    let loads = 0;
    const { pipeline } = createPipeline([activeSubscription(SUBSCRIPTION, '[*]')]);
    const harness = createHarness({
      subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active' } }),
      source: async () => {
        loads += 1;
        return listSource([patient('a'), patient('b'), patient('c')], 1);
      },
      pipeline,
      compileCriteria,
    });
    await handleBackfillRequest(trigger([{ name: 'searchUrl', valueString: 'Patient?x=1' }]), {
      jobs: harness.jobs,
      subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active' } }),
      queue: harness.queue,
    });
    const { processed } = await harness.drain();
    expect(processed).toBe(3);
    expect(loads).toBe(1);
  });

  it('checks source resources as ingest does: a bad one is a failed id, the page goes on', async () => {
    const bad = [
      { resourceType: 'Patient', id: 'bad id!' },
      { resourceType: 'Patient', id: 'wrong-type', birthDate: 19700101 },
      JSON.parse('{"resourceType":"Patient","id":"polluting","__proto__":{"x":1}}') as FhirResource,
      {
        resourceType: 'Patient',
        id: 'future',
        meta: { versionId: '9', lastUpdated: '9999-12-31T00:00:00Z' },
      },
      { resourceType: 'NotAType', id: 'x' },
      { id: 'no-type' },
    ];
    const source = listSource([patient('good'), ...(bad as FhirResource[])], 10);
    const { pipeline, healthLake } = createPipeline([activeSubscription(SUBSCRIPTION, '[*]')]);
    const harness = createHarness({
      subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active', criteria: '[*]' } }),
      source: {
        ...source,
        // A read answered with another resource is that id's failure, not the batch's.
        read: async (type, id) => (id === 'swapped' ? patient('other') : source.read(type, id)),
      },
      pipeline,
      compileCriteria,
    });
    const jobId = (
      await handleBackfillRequest(
        trigger([
          { name: 'searchUrl', valueString: 'Patient?x=1' },
          { name: 'resourceId', valueString: 'Patient/swapped' },
          { name: 'resourceId', valueString: 'Patient/good' },
        ]),
        {
          jobs: harness.jobs,
          subscriptions: fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active' } }),
          queue: harness.queue,
        },
      )
    )?.headers?.['content-location']
      ?.split('/')
      .pop() as string;
    await harness.drain();
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('completed');
    expect(job?.counts).toMatchObject({ read: 9, failed: 7 });
    expect(job?.failedIds.every((failed) => failed.reason === 'invalid')).toBe(true);
    expect(job?.failedIds.map((failed) => failed.key).sort()).toEqual([
      '(resource without a valid type)',
      'NotAType/x',
      'Patient/(invalid id)',
      'Patient/future',
      'Patient/polluting',
      'Patient/swapped',
      'Patient/wrong-type',
    ]);
    expect([...healthLake.current.keys()]).toEqual(['Patient/good']);
  });

  it('counts a source copy with the recorded versionId but other content as a failed id with its reason, and says so', async () => {
    const meta = { versionId: '3', lastUpdated: '2026-01-01T00:00:00.000Z' };
    const { pipeline, healthLake, messages } = createPipeline([activeSubscription(SUBSCRIPTION, '[*]')]);
    // A write-scope caller got version 3 in first, with other content.
    const [forged] = await pipeline.accept([
      {
        operation: 'upsert',
        resourceType: 'Patient',
        id: 'p1',
        resource: { ...patient('p1', 'Forged'), meta },
        source: 'ingest',
        requestId: 'forged',
      },
    ]);
    expect(forged?.status).toBe('recorded');
    const source = listSource([{ ...patient('p1', 'Real'), meta } as FhirResource, patient('p2')], 10);
    const subscriptions = fakeSubscriptions({ [SUBSCRIPTION]: { status: 'active' } });
    const harness = createHarness({ subscriptions, source, pipeline, compileCriteria });
    const routes = { jobs: harness.jobs, subscriptions, queue: harness.queue };
    const started = await handleBackfillRequest(
      trigger([{ name: 'searchUrl', valueString: 'Patient?x=1' }]),
      routes,
    );
    const jobId = started?.headers?.['content-location']?.split('/').pop() as string;
    await harness.drain();

    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('completed');
    expect(job?.counts).toMatchObject({ read: 2, matched: 2, enqueued: 1, failed: 1, conflicts: 1 });
    expect(job?.failedIds).toEqual([{ key: 'Patient/p1', reason: 'version-conflict' }]);
    expect(messages.filter((m) => m.trace.source === 'backfill').map((m) => m.id)).toEqual(['p2']);
    expect(healthLake.current.get('Patient/p1')?.versionId).toBe('3');

    // The status the operator reads says so, with the id and its reason only (no content).
    const status = await handleBackfillRequest(
      { ...trigger([]), method: 'GET', path: `$backfill-job/${jobId}`, body: undefined },
      routes,
    );
    const parameter = (status?.body as { parameter: { name: string; valueUnsignedInt?: number }[] })
      .parameter;
    expect(parameter.find((p) => p.name === 'conflicts')?.valueUnsignedInt).toBe(1);
    expect(parameter.filter((p) => p.name === 'failedId')).toEqual([
      {
        name: 'failedId',
        part: [
          { name: 'resource', valueString: 'Patient/p1' },
          { name: 'reason', valueCode: 'version-conflict' },
        ],
      },
    ]);
    expect(JSON.stringify(status?.body)).not.toMatch(/Forged|Real/);
  });
});
