/**
 * Issue 21 item 6: messages held back behind a failing head of their FIFO group (or deferred) must not
 * spend their retries. A simulated FIFO queue with its redrive policy feeds the real batch deliverer;
 * one resource fails for 20 minutes of simulated time, then recovers.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryDeliveryAttempts } from '../../../shared/delivery/deliveryAttempts.js';
import { DataStoreHealth } from '../../../shared/delivery/dataStoreHealth.js';
import { messageGroupId } from '../../../shared/messages/deliveryMessage.js';
import { deliveryMessage, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FifoQueueSimulator, simulationDeps } from '../../helpers/fifoQueueSimulator.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

/** Retry horizon (random = 1): 2 + 4 + ... + 256 + 300 + 300 s = 18.5 min, shorter than the outage. */
const RETRY_COUNT = 10;
const OUTAGE_MS = 20 * 60_000;
const P0_GROUP = messageGroupId(deliveryMessage({ id: 'p0' }));
const GROUPS = 20;
const VERSIONS = 12;

/** Every group gets VERSIONS versions; Patient/p0 fails with 500 for OUTAGE_MS, then recovers. */
const scenario = (options: { attempts: boolean; maxReceiveCount: number }) => {
  const queue = new FifoQueueSimulator({
    maxReceiveCount: options.maxReceiveCount,
    visibilityTimeoutSeconds: 360,
  });
  const start = queue.now;
  for (let version = 1; version <= VERSIONS; version += 1) {
    for (let group = 0; group < GROUPS; group += 1) {
      const message = deliveryMessage({
        id: `p${group}`,
        versionId: String(version),
        lastUpdated: new Date(start + version * 1000).toISOString(),
        // Every version must be delivered (not skipped as superseded): what a history-keeping sink needs.
        subscription: { deliverLatestVersion: false },
      });
      queue.send(messageGroupId(message), JSON.stringify(message));
    }
  }
  const sink = new FakeHealthLake();
  sink.responder = (call) =>
    call.id === 'p0' && queue.now - start < OUTAGE_MS
      ? { status: 500, latencyMs: 3 }
      : { status: call.method === 'DELETE' ? 204 : 200, latencyMs: 3 };
  const deps = simulationDeps(
    {
      healthLake: () => sink,
      random: () => 1,
      ...(options.attempts
        ? { attempts: new InMemoryDeliveryAttempts(), dataStores: new DataStoreHealth(() => queue.now) }
        : {}),
    },
    {
      defaultMaxAttempts: RETRY_COUNT + 1,
      backoff: { baseSeconds: 2, maxSeconds: 300 },
      allowedEndpoints: new Set([TEST_ENDPOINT]),
    },
  );
  return { queue, sink, deps, start };
};

describe('Delivery attempts are counted per message, not per receive', () => {
  it('a resource failing for 20 simulated minutes then recovering: no later message of any group reaches the DLQ', async () => {
    const { queue, sink, deps, start } = scenario({ attempts: true, maxReceiveCount: 1000 });
    await queue.run(deps, 2 * 3600_000);

    expect(queue.depth).toBe(0);
    // Only the head, which really failed its 11 attempts over 18.5 minutes, is dead-lettered.
    expect(queue.deadLetters).toEqual([{ messageId: 'm-1', groupId: P0_GROUP, by: 'deliverer' }]);
    expect(queue.deleted).toHaveLength(GROUPS * VERSIONS);
    expect(queue.now - start).toBeGreaterThan(OUTAGE_MS);
    // p0's later versions were tried after the head, failed until the outage ended, then landed in order.
    const p0 = sink.calls.filter((call) => call.id === 'p0');
    const versions = p0
      .slice(-(VERSIONS - 1))
      .map((call) => (call.body as { meta: { versionId: string } }).meta.versionId);
    expect(versions).toEqual(Array.from({ length: VERSIONS - 1 }, (_, index) => String(index + 2)));
    expect(
      sink.calls.filter(
        (call) => call.id === 'p0' && (call.body as { meta: { versionId: string } }).meta.versionId === '2',
      ).length,
    ).toBeGreaterThan(1);
  });

  it('counting receives instead (the old way) dead-letters the held-back versions: the scenario detects it', async () => {
    const { queue, deps } = scenario({ attempts: false, maxReceiveCount: RETRY_COUNT + 1 });
    await queue.run(deps, 2 * 3600_000);

    const lost = queue.deadLetters.filter((letter) => letter.groupId === P0_GROUP);
    // Later versions of p0 were received with the failing head on every try: they ran out unused.
    expect(lost.length).toBeGreaterThan(1);
  });
});
