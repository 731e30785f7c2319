import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedResources } from '../../../local/standins/healthlake/index.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { MAX_HEALTHLAKE_READERS } from '../../../shared/reconcile/constants.js';
import { createReconcileProcessor } from '../../../shared/reconcile/createReconcileProcessor.js';
import type { ReconcileWorkerDeps } from '../../../shared/reconcile/PageContext.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import { totalTally } from '../../../shared/reconcile/reconcileStatusResource.js';
import { replicateResource } from '../../../shared/replication/replicateResource.js';
import type { ActiveSubscription } from '../../../shared/subscriptions/types.js';
import { createJob, createWorker, startReconcileHarness, type ReconcileHarness } from './reconcileHarness.js';

let harness: ReconcileHarness;
let worker: ReturnType<typeof createWorker>;

beforeAll(async () => {
  harness = await startReconcileHarness();
});
afterAll(async () => {
  await harness?.stop();
});

const patient = (id: string, active = true) => ({ resourceType: 'Patient' as const, id, active });
const observation = (id: string, code = 'a') => ({
  resourceType: 'Observation' as const,
  id,
  status: 'final' as const,
  code: { text: code },
});

/** Seeds both servers with the same resources (HealthLake's copies written after the source's). */
const seedBoth = (resources: Parameters<typeof seedResources>[1]) => {
  seedResources(harness.source.store, resources);
  seedResources(harness.healthLake.store, resources, { preserveVersions: false });
};

beforeEach(() => {
  for (const standin of [harness.source, harness.healthLake]) {
    for (const type of standin.store.resourceTypes())
      for (const resource of standin.store.search(type, { _count: ['1000'] }).resources)
        standin.store.delete(type, resource.id as string);
  }
  worker = createWorker(harness);
});

describe('createReconcileProcessor', () => {
  it('plans the default types from the source CapabilityStatement and reports missing, stale and only-in-HealthLake ids', async () => {
    seedBoth([
      patient('p1'),
      patient('p2'),
      patient('p3'),
      patient('p4'),
      observation('o1'),
      observation('o2'),
    ]);
    harness.healthLake.store.delete('Patient', 'p2');
    harness.healthLake.store.put(patient('orphan'));
    // o2 changed on the source after HealthLake's copy was written.
    harness.source.store.put(observation('o2', 'b'), {
      versionId: '2',
      lastUpdated: new Date(Date.now() + 60_000).toISOString(),
    });
    const jobId = await createJob(harness, worker);
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.state).toBe('completed');
    expect(job.streams.map((stream) => `${stream.side} ${stream.resourceType}`).sort()).toEqual([
      'healthlake Observation',
      'healthlake Patient',
      'source Observation',
      'source Patient',
    ]);
    expect(job.counts.Patient).toMatchObject({ inSync: 3, missing: 1, onlyInHealthLake: 1, stale: 0 });
    expect(job.counts.Observation).toMatchObject({ inSync: 1, stale: 1, missing: 0 });
    expect([...job.samples].sort()).toEqual([
      'missing Patient/p2',
      'onlyInHealthLake Patient/orphan',
      'stale Observation/o2',
    ]);
    expect(worker.lines.map((line) => `${line.outcome} ${line.resourceType}/${line.id}`).sort()).toEqual(
      [...job.samples].sort(),
    );
    expect(worker.deliveries).toEqual([]);
  });

  it('counts each page once when every message is delivered twice', async () => {
    seedBoth(Array.from({ length: 10 }, (_, i) => patient(`p${i}`)));
    const jobId = await createJob(harness, worker);
    await worker.drain({ duplicate: true });
    const job = (await harness.jobs.get(jobId))!;
    expect(job.state).toBe('completed');
    expect(totalTally(job)).toMatchObject({ inSync: 10, missing: 0, onlyInHealthLake: 0 });
    expect(job.streams.every((stream) => stream.done)).toBe(true);
  });

  it('stops at the next page once cancelled', async () => {
    seedBoth(Array.from({ length: 10 }, (_, i) => patient(`p${i}`)));
    const jobId = await createJob(harness, worker);
    let pages = 0;
    await worker.drain({
      before: async (message) => {
        if (message.task === 'page') pages += 1;
        if (pages === 2)
          await harness.jobs.finish(jobId, 'cancelled', 'Cancelled on request', new Date().toISOString());
      },
    });
    const job = (await harness.jobs.get(jobId))!;
    expect(job.state).toBe('cancelled');
    expect(totalTally(job).inSync).toBeLessThanOrEqual(3);
  });

  it('repairs missing and stale resources through the pipeline and resets a pinned ledger entry', async () => {
    seedBoth([patient('p1'), patient('p2'), patient('pinned')]);
    harness.healthLake.store.delete('Patient', 'p1');
    // A forged version 999 pins `pinned`: the source's own version (1) would be skipped as stale.
    await worker.ledger.recordSourceVersion('Patient/pinned', {
      versionId: '999',
      lastUpdated: new Date().toISOString(),
      deleted: false,
      endpoints: [worker.subscription.endpoint],
    });
    await worker.delivered.record(
      { resourceKey: 'Patient/pinned', endpoint: worker.subscription.endpoint },
      { versionId: '999', lastUpdated: new Date().toISOString(), deleted: false },
    );
    harness.healthLake.store.put(patient('pinned', false));
    const jobId = await createJob(harness, worker, {
      mode: 'repair',
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
    });
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.counts.Patient).toMatchObject({
      inSync: 1,
      missing: 1,
      stale: 1,
      pinned: 1,
      repaired: 2,
      pinnedReset: 1,
    });
    expect(
      worker.deliveries.map((m) => `${m.resourceType}/${m.id}@${m.versionId} ${m.trace.source}`).sort(),
    ).toEqual(['Patient/p1@1 reconcile', 'Patient/pinned@1 reconcile']);
    expect((await worker.ledger.getLatest(['Patient/pinned'])).get('Patient/pinned')?.versionId).toBe('1');
    expect(harness.healthLake.current<{ active: boolean }>('Patient', 'pinned')?.active).toBe(true);
    expect(harness.healthLake.current('Patient', 'p1')).toBeDefined();
  });

  it("does not repair from a source copy that fails ingest's checks, and counts it", async () => {
    seedResources(harness.source.store, [patient('p1')]);
    // A clock far ahead: ingest would refuse this lastUpdated (422), so reconcile must not send it.
    harness.source.store.put(patient('future'), {
      versionId: '1',
      lastUpdated: new Date(Date.now() + 24 * 3_600_000).toISOString(),
    });
    const jobId = await createJob(harness, worker, {
      mode: 'repair',
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
    });
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.counts.Patient).toMatchObject({ missing: 2, repaired: 1, invalidAtSource: 1 });
    expect(worker.deliveries.map((m) => `${m.resourceType}/${m.id}`)).toEqual(['Patient/p1']);
    expect(harness.healthLake.current('Patient', 'future')).toBeUndefined();
  });

  it('prunes, as deletes, only the ids its confirmed compare listed that are still only in HealthLake', async () => {
    seedBoth([patient('p1')]);
    harness.healthLake.store.put(patient('orphan-1'));
    harness.healthLake.store.put(patient('orphan-2'));
    const compareId = await createJob(harness, worker);
    await worker.drain();
    expect((await harness.jobs.get(compareId))?.counts.Patient).toMatchObject({ onlyInHealthLake: 2 });

    // After the compare: orphan-2 reappears on the source, orphan-3 appears in HealthLake only.
    harness.source.store.put(patient('orphan-2'));
    harness.healthLake.store.put(patient('orphan-3'));
    const jobId = await createJob(harness, worker, {
      mode: 'repair-and-prune',
      pruneConfirmation: 2,
      compareJobId: compareId,
    });
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.state).toBe('completed');
    expect(job.counts.Patient).toMatchObject({
      inSync: 1,
      stale: 1, // orphan-2, written on the source after HealthLake's copy
      repaired: 1,
      onlyInHealthLake: 2,
      pruned: 1,
      unconfirmed: 1,
    });
    expect(worker.deliveries.map((m) => `${m.operation} ${m.resourceType}/${m.id}`).sort()).toEqual([
      'delete Patient/orphan-1',
      'upsert Patient/orphan-2',
    ]);
    expect(harness.healthLake.current('Patient', 'orphan-2')).toBeDefined();
    expect(harness.healthLake.current('Patient', 'orphan-3')).toBeDefined();
    expect(worker.lines.filter((line) => line.outcome === 'unconfirmed').map((line) => line.id)).toEqual([
      'orphan-3',
    ]);
  });

  it('never deletes more than confirmed in total when pages of two streams prune at the same time', async () => {
    seedBoth([patient('p1'), observation('o1')]);
    for (const id of ['orphan-1', 'orphan-2']) harness.healthLake.store.put(patient(id));
    for (const id of ['orphan-3', 'orphan-4']) harness.healthLake.store.put(observation(id));
    const compareId = await createJob(harness, worker);
    await worker.drain();
    // One more listed than confirmed (as a compare page redone after new orphans appeared could list).
    const jobId = await createJob(harness, worker, {
      mode: 'repair-and-prune',
      pruneConfirmation: 3,
      compareJobId: compareId,
    });
    await worker.process(worker.queue.shift()!); // plan
    const pages = worker.queue.splice(0);
    await Promise.all(pages.map((message) => worker.process(message)));
    const job = (await harness.jobs.get(jobId))!;
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/more resources only in HealthLake than the 3 confirmed/i);
    const deleted = worker.deliveries.filter((m) => m.operation === 'delete');
    expect(deleted).toHaveLength(2);
    expect(harness.healthLake.count('Patient') + harness.healthLake.count('Observation')).toBe(4);
  });

  it('checks resource ids both ways and compares content in content-hash mode', async () => {
    seedBoth([patient('p1'), patient('p2')]);
    harness.healthLake.store.put(patient('p2', false)); // same lastUpdated order, other content
    harness.healthLake.store.put(patient('p3'));
    const jobId = await createJob(harness, worker, {
      contentHash: true,
      scope: {
        resourceTypes: [],
        resourceIds: ['Patient/p1', 'Patient/p2', 'Patient/p3', 'Patient/p4'],
        searchUrls: [],
      },
    });
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.streams.map((stream) => stream.side)).toEqual(['ids']);
    expect(job.counts.Patient).toMatchObject({ inSync: 1, stale: 1, onlyInHealthLake: 1, missing: 0 });
  });

  it('fails the job when its subscription is no longer active', async () => {
    const inactive = createWorker(harness, { status: 'off' });
    const jobId = await createJob(harness, inactive);
    await inactive.drain();
    expect((await harness.jobs.get(jobId))?.reason).toMatch(/no longer active/);
  });

  it('reports a same-version conflict (content read) and repair resets the ledger entry to the source copy', async () => {
    const meta = { versionId: '3', lastUpdated: '2026-01-01T00:00:00.000Z' };
    harness.source.store.put(patient('p1', true), meta);
    // A write-scope caller got version 3 in first with other content; it reached HealthLake.
    await worker.deps.pipeline.accept([
      {
        operation: 'upsert',
        resourceType: 'Patient',
        id: 'p1',
        resource: { ...patient('p1', false), meta },
        source: 'ingest',
        requestId: 'forged',
      },
    ]);
    worker.deliveries.length = 0;
    const scope = { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] };
    const compareId = await createJob(harness, worker, { contentHash: true, scope });
    await worker.drain();
    const compare = (await harness.jobs.get(compareId))!;
    expect(compare.counts.Patient).toMatchObject({ stale: 1, versionConflict: 1, inSync: 0 });
    expect(compare.samples).toContain('versionConflict Patient/p1');

    const repairId = await createJob(harness, worker, { mode: 'repair', contentHash: true, scope });
    await worker.drain();
    const repaired = (await harness.jobs.get(repairId))!;
    expect(repaired.counts.Patient).toMatchObject({ versionConflict: 1, repaired: 1, pinnedReset: 1 });
    expect(harness.healthLake.current<{ active: boolean }>('Patient', 'p1')?.active).toBe(true);

    const again = await createJob(harness, worker, { contentHash: true, scope });
    await worker.drain();
    expect((await harness.jobs.get(again))!.counts.Patient).toMatchObject({
      inSync: 1,
      stale: 0,
      versionConflict: 0,
    });
  });

  it('maps ids through replication settings on a shared data store: other owners are out of scope, and after repair-and-prune a second compare is in sync', async () => {
    const replication = { idPrefix: 'CDR1-', idPrefixSelector: '[a-zA-Z]+/[0-9]+' };
    const replicated = createWorker(harness, { replication });
    const sourceData = [
      patient('1'),
      patient('2'),
      patient('3'),
      { ...observation('1'), subject: { reference: 'Patient/1' } },
    ];
    seedResources(harness.source.store, sourceData);
    // Connector 1's copies, as its deliverer wrote them (Patient/2 lost), and an orphan of its own.
    for (const resource of sourceData.filter((r) => r.id !== '2'))
      harness.healthLake.store.put(replicateResource(resource, replication) as never);
    harness.healthLake.store.put(patient('CDR1-99'));
    // Not connector 1's: another connector's prefix, an unprefixed id, an id its selector never prefixes.
    const others = [
      patient('CDR2-1'),
      patient('CDR2-7'),
      { ...observation('CDR2-1'), subject: { reference: 'Patient/CDR2-1' } },
      patient('legacy'),
      patient('CDR1-abc'),
    ];
    for (const resource of others) harness.healthLake.store.put(resource);
    const versions = () =>
      others.map(
        (r) =>
          (harness.healthLake.current<FhirResource>(r.resourceType, r.id)?.meta as { versionId?: string })
            ?.versionId,
      );
    const before = versions();

    const compareId = await createJob(harness, replicated, { contentHash: true });
    await replicated.drain();
    const compare = (await harness.jobs.get(compareId))!;
    expect(compare.state).toBe('completed');
    expect(compare.counts.Patient).toMatchObject({
      inSync: 2,
      missing: 1,
      stale: 0,
      onlyInHealthLake: 1,
      outOfScope: 4,
    });
    expect(compare.counts.Observation).toMatchObject({ inSync: 1, onlyInHealthLake: 0, outOfScope: 1 });
    expect([...compare.samples].sort()).toEqual(['missing Patient/2', 'onlyInHealthLake Patient/CDR1-99']);

    const pruneId = await createJob(harness, replicated, {
      mode: 'repair-and-prune',
      pruneConfirmation: 1,
      compareJobId: compareId,
    });
    await replicated.drain();
    expect((await harness.jobs.get(pruneId))!.counts.Patient).toMatchObject({ repaired: 1, pruned: 1 });
    // The delete went through the pipeline under the source id, and the deliverer's mapping hit CDR1-99.
    expect(replicated.deliveries.map((m) => `${m.operation} ${m.resourceType}/${m.id}`).sort()).toEqual([
      'delete Patient/99',
      'upsert Patient/2',
    ]);
    expect(harness.healthLake.current('Patient', 'CDR1-99')).toBeUndefined();
    expect(harness.healthLake.current('Patient', 'CDR1-2')).toBeDefined();
    expect(versions()).toEqual(before);

    const againId = await createJob(harness, replicated, { contentHash: true });
    await replicated.drain();
    const again = (await harness.jobs.get(againId))!;
    expect(totalTally(again)).toMatchObject({
      inSync: 4,
      missing: 0,
      stale: 0,
      onlyInHealthLake: 0,
      outOfScope: 5,
    });
  });
});

describe('createReconcileProcessor (what a worker instance keeps)', () => {
  it('keeps a bounded number of compiled criteria and HealthLake readers, the recently used', async () => {
    seedBoth([patient('p1')]);
    const compiled: string[] = [];
    const readers: string[] = [];
    let current: ActiveSubscription = worker.subscription;
    const process = createReconcileProcessor({
      ...worker.deps,
      subscriptions: { getSubscription: async () => ({ status: 'active', active: current }) },
      compileCriteria: (criteria) => {
        compiled.push(criteria);
        return compileCriteria(criteria);
      },
      healthLake: (endpoint) => {
        readers.push(endpoint);
        return worker.deps.healthLake(endpoint);
      },
      maxCompiledCriteria: 2,
      maxHealthLakeReaders: 2,
    });
    /** A compare of Patients for the subscription as it now is (an unknown endpoint fails the job). */
    const compareWith = async (criteria: string, endpoint: string) => {
      current = { ...worker.subscription, criteria, endpoint };
      await createJob(harness, worker, {
        scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
      });
      while (worker.queue.length > 0) await process(worker.queue.shift()!);
    };
    const endpoint = harness.healthLake.endpoint;
    const other = (index: number) => endpoint.replace('/datastore/', `/datastore/other-${index}-`);
    for (let index = 0; index < 5; index += 1)
      await compareWith(`Patient?identifier=urn:t|${index}`, other(index));
    expect(compiled).toHaveLength(5);
    expect(readers).toHaveLength(5);
    // The two most recent are kept; an older one made room and is made again.
    await compareWith('Patient?identifier=urn:t|4', other(4));
    await compareWith('Patient?identifier=urn:t|3', other(3));
    expect([compiled.length, readers.length]).toEqual([5, 5]);
    await compareWith('Patient?identifier=urn:t|0', other(0));
    expect([compiled.length, readers.length]).toEqual([6, 6]);
  });

  it('keeps at most MAX_HEALTHLAKE_READERS by default', () => {
    expect(MAX_HEALTHLAKE_READERS).toBe(16);
  });
});

describe('createReconcileProcessor (a message that keeps failing)', () => {
  it('rethrows for another receive until maxReceives, then fails the job with where and why', async () => {
    const process = createReconcileProcessor({
      ...worker.deps,
      subscriptions: {
        getSubscription: async () => {
          throw new Error('subscription store unavailable');
        },
      },
      maxReceives: 3,
    });
    const jobId = await createJob(harness, worker);
    const message = worker.queue.shift()!;
    for (const receiveCount of [1, 2]) {
      await expect(process(message, { receiveCount })).rejects.toThrow('subscription store unavailable');
      expect((await harness.jobs.get(jobId))?.state).not.toBe('failed');
    }
    expect(await process(message, { receiveCount: 3 })).toEqual({
      outcome: 'failed',
      compared: 0,
      jobCompleted: false,
    });
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('failed');
    // A plain error is named by its class only: its message may come from anywhere.
    expect(job?.reason).toBe('Planning still failing after 3 attempts: Error');
  });

  it('gives up on the fifth receive by default', async () => {
    const process = createReconcileProcessor({
      ...worker.deps,
      subscriptions: {
        getSubscription: async () => {
          throw new TypeError('boom');
        },
      },
    });
    const jobId = await createJob(harness, worker);
    const message = worker.queue.shift()!;
    await expect(process(message, { receiveCount: 4 })).rejects.toThrow('boom');
    await expect(process(message)).rejects.toThrow('boom');
    expect((await process(message, { receiveCount: 5 })).outcome).toBe('failed');
    expect((await harness.jobs.get(jobId))?.reason).toBe(
      'Planning still failing after 5 attempts: TypeError',
    );
  });
});

describe('createReconcileProcessor (messages out of turn)', () => {
  const STOPPED = { outcome: 'stopped', compared: 0, jobCompleted: false };
  const FAILED = { outcome: 'failed', compared: 0, jobCompleted: false };

  it('stops at a plan for an unknown or finished job, sending nothing', async () => {
    expect(await worker.process({ jobId: 'no-such-job', task: 'plan' })).toEqual(STOPPED);
    const jobId = await createJob(harness, worker, {
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
    });
    const message = worker.queue.shift()!;
    await harness.jobs.finish(jobId, 'cancelled', 'cancelled by the test', new Date().toISOString());
    expect(await worker.process(message)).toEqual(STOPPED);
    expect(worker.queue).toEqual([]);
  });

  it('answers a redelivered plan as a duplicate and sends the first pages again', async () => {
    seedBoth([patient('p1')]);
    const jobId = await createJob(harness, worker, {
      scope: { resourceTypes: ['Patient', 'Observation'], resourceIds: [], searchUrls: [] },
    });
    const message = worker.queue.shift()!;
    expect(await worker.process(message)).toEqual({ outcome: 'planned', compared: 0, jobCompleted: false });
    const firstPages = worker.queue.splice(0);
    expect(firstPages.length).toBeGreaterThan(0);
    expect(firstPages.every((page) => page.task === 'page' && page.page === 0)).toBe(true);
    expect(await worker.process(message)).toEqual({ outcome: 'duplicate', compared: 0, jobCompleted: false });
    expect(worker.queue).toEqual(firstPages);
    expect((await harness.jobs.get(jobId))?.state).not.toBe('failed');
  });

  it('fails the job when its subscription is no longer active, at planning and at a page', async () => {
    const inactive = createWorker(harness, { status: 'off' });
    const jobId = await createJob(harness, inactive);
    expect(await inactive.process(inactive.queue.shift()!)).toEqual(FAILED);
    expect((await harness.jobs.get(jobId))?.reason).toBe('Subscription sub-1 is no longer active');

    seedBoth([patient('p1')]);
    const pageJob = await createJob(harness, worker, {
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
    });
    await worker.process(worker.queue.shift()!);
    const page = worker.queue.shift()!;
    expect(await inactive.process(page)).toEqual(FAILED);
    const failed = await harness.jobs.get(pageJob);
    expect([failed?.state, failed?.reason]).toEqual(['failed', 'Subscription sub-1 is no longer active']);
  });

  it('fails the job when the source refuses its CapabilityStatement, and retries a transient failure', async () => {
    const refusing = createReconcileProcessor({
      ...worker.deps,
      source: {
        capabilityStatement: async () => {
          throw new PermanentSourceError('Source answered 403 to metadata', 403);
        },
      } as unknown as ReconcileWorkerDeps['source'],
    });
    const jobId = await createJob(harness, worker);
    expect(await refusing(worker.queue.shift()!)).toEqual(FAILED);
    expect((await harness.jobs.get(jobId))?.reason).toBe(
      'Source error while planning: Source answered 403 to metadata',
    );

    const failing = createReconcileProcessor({
      ...worker.deps,
      source: {
        capabilityStatement: async () => {
          throw new TransientSourceError('Source still failing (HTTP 503)', 503);
        },
      } as unknown as ReconcileWorkerDeps['source'],
    });
    const retried = await createJob(harness, worker);
    await expect(failing(worker.queue.shift()!, { receiveCount: 1 })).rejects.toThrow('HTTP 503');
    expect((await harness.jobs.get(retried))?.state).toBe('queued');
  });

  it('stops at a page of an unknown job or stream, or ahead of its cursor, and answers an old page as a duplicate', async () => {
    seedBoth([patient('p1'), patient('p2'), patient('p3'), patient('p4')]);
    const jobId = await createJob(harness, worker, {
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [] },
    });
    await worker.process(worker.queue.shift()!);
    // One first page per stream (the source's and HealthLake's side).
    const [first] = worker.queue.splice(0);
    if (first?.task !== 'page') throw new Error('expected a page');
    expect(await worker.process({ ...first, jobId: 'no-such-job' })).toEqual(STOPPED);
    expect(await worker.process({ ...first, stream: 99 })).toEqual(STOPPED);
    expect(await worker.process({ ...first, page: 5 })).toEqual(STOPPED);
    expect(worker.queue).toEqual([]);

    const processed = await worker.process(first);
    expect(processed.outcome).toBe('processed');
    const next = worker.queue.splice(0);
    expect(next).toEqual([expect.objectContaining({ jobId, task: 'page', page: 1 })]);
    // The same page again: nothing compared twice, and its next page is not sent again.
    expect(await worker.process(first)).toEqual({ outcome: 'duplicate', compared: 0, jobCompleted: false });
    expect(worker.queue).toEqual([]);
  });
});
