import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJob, startReconcileHarness, type ReconcileHarness } from './reconcileHarness.js';

let harness: ReconcileHarness;

beforeAll(async () => {
  harness = await startReconcileHarness();
});
afterAll(async () => {
  await harness?.stop();
});

describe('DynamoReconcileJobStore on dynalite', () => {
  it("keeps a compare job's only-in-HealthLake ids and answers which of them it listed", async () => {
    await harness.jobs.create(newJob('orphans-1'));
    await harness.jobs.recordOrphans('orphans-1', ['Patient/a', 'Patient/b', 'Patient/a']);
    await harness.jobs.recordOrphans('orphans-1', ['Observation/c']);
    const asked = [
      'Patient/a',
      'Patient/z',
      'Observation/c',
      ...Array.from({ length: 150 }, (_, i) => `X/${i}`),
    ];
    expect([...(await harness.jobs.listedOrphans('orphans-1', asked))].sort()).toEqual([
      'Observation/c',
      'Patient/a',
    ]);
    expect((await harness.jobs.listedOrphans('other-job', ['Patient/a'])).size).toBe(0);
    // The job item itself is unaffected by its orphan items.
    expect((await harness.jobs.get('orphans-1'))?.state).toBe('queued');
  });

  it('reserves prunes with a conditional counter: concurrent batches never pass the limit in total', async () => {
    await harness.jobs.create(newJob('reserve-1', { mode: 'repair-and-prune', pruneConfirmation: 5 }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => harness.jobs.reservePrunes('reserve-1', `b${index}`, 1, 5)),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    expect(await harness.jobs.reservePrunes('reserve-1', 'late', 1, 5)).toBe(false);
  });

  it('lets a redone batch re-use its reservation, and reserve more only within the limit', async () => {
    await harness.jobs.create(newJob('reserve-2', { mode: 'repair-and-prune', pruneConfirmation: 4 }));
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 3, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 3, 4)).toBe(true); // redone
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 2, 4)).toBe(true); // fewer left now
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-1', 2, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 4, 4)).toBe(true); // one more
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 5, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-1', 1, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('unknown-job', 'page-0', 1, 4)).toBe(false);
  });
});
