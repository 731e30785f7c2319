import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedResources } from '../../../local/standins/healthlake/index.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { MAX_HEALTHLAKE_READERS } from '../../../shared/reconcile/constants.js';
import { createReconcileProcessor } from '../../../shared/reconcile/createReconcileProcessor.js';
import { totalTally } from '../../../shared/reconcile/reconcileStatusResource.js';
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

  it('prunes only-in-HealthLake resources as deletes, and fails without deleting when there are more than confirmed', async () => {
    seedBoth([patient('p1')]);
    harness.healthLake.store.put(patient('orphan-1'));
    harness.healthLake.store.put(patient('orphan-2'));
    const refused = await createJob(harness, worker, {
      mode: 'repair-and-prune',
      pruneConfirmation: 1,
      compareJobId: 'c',
    });
    await worker.drain();
    const failed = (await harness.jobs.get(refused))!;
    expect(failed.state).toBe('failed');
    expect(failed.reason).toMatch(/more resources only in HealthLake than the 1 confirmed/i);
    expect(harness.healthLake.count('Patient')).toBe(3);

    const jobId = await createJob(harness, worker, {
      mode: 'repair-and-prune',
      pruneConfirmation: 2,
      compareJobId: 'c',
    });
    await worker.drain();
    const job = (await harness.jobs.get(jobId))!;
    expect(job.counts.Patient).toMatchObject({ inSync: 1, onlyInHealthLake: 2, pruned: 2 });
    expect(harness.healthLake.count('Patient')).toBe(1);
    expect(worker.deliveries.map((m) => `${m.operation} ${m.resourceType}/${m.id}`).sort()).toEqual([
      'delete Patient/orphan-1',
      'delete Patient/orphan-2',
    ]);
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
