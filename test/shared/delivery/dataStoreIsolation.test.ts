/**
 * Issue 26: a data store that refuses every write (429, or access denied) rests; its records are
 * deferred without spending attempts, and another data store's records never wait for it. Runs the real
 * batch deliverer over a simulated FIFO queue (simulated clock: an hour's outage in milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { DataStoreHealth } from '../../../shared/delivery/dataStoreHealth.js';
import { InMemoryDeliveryAttempts } from '../../../shared/delivery/deliveryAttempts.js';
import { messageGroupId } from '../../../shared/messages/deliveryMessage.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { FifoQueueSimulator, simulationDeps } from '../../helpers/fifoQueueSimulator.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';
import type { HealthLakeResponse } from '../../../shared/healthlake/types.js';
import type { RecordSettlement } from '../../../shared/delivery/types.js';

const STORE_A = 'https://healthlake.us-east-1.amazonaws.com/datastore/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/r4/';
const STORE_B = 'https://healthlake.us-east-1.amazonaws.com/datastore/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/r4/';
const OUTAGE_MS = 60 * 60_000;
const A_MESSAGES = 500;
const B_MESSAGES = 100;

const run = async (refusal: HealthLakeResponse) => {
  const queue = new FifoQueueSimulator({ maxReceiveCount: 1000, visibilityTimeoutSeconds: 360 });
  const start = queue.now;
  // A's backlog first, then B's writes.
  for (let index = 0; index < A_MESSAGES; index += 1) {
    const message = deliveryMessage({ id: `a${index}`, subscription: { endpoint: STORE_A } });
    queue.send(messageGroupId(message), JSON.stringify(message));
  }
  for (let index = 0; index < B_MESSAGES; index += 1) {
    const message = deliveryMessage({ id: `b${index}`, subscription: { endpoint: STORE_B } });
    queue.send(messageGroupId(message), JSON.stringify(message));
  }
  const a = new FakeHealthLake();
  a.responder = () => (queue.now - start < OUTAGE_MS ? refusal : { status: 200, latencyMs: 3 });
  const b = new FakeHealthLake();
  const bLanded: number[] = [];
  b.responder = () => {
    bLanded.push(queue.now - start);
    return { status: 200, latencyMs: 3 };
  };
  const attempts = new InMemoryDeliveryAttempts();
  await queue.run(
    simulationDeps(
      {
        healthLake: (endpoint) => (endpoint === STORE_A ? a : b),
        attempts,
        dataStores: new DataStoreHealth(() => queue.now),
        random: () => 1,
      },
      {
        defaultMaxAttempts: 11,
        backoff: { baseSeconds: 2, maxSeconds: 300 },
        accessDeniedBackoff: { baseSeconds: 60, maxSeconds: 900 },
        allowedEndpoints: new Set([STORE_A, STORE_B]),
      },
    ),
    6 * 3600_000,
  );
  return { queue, a, bLanded, attempts };
};

describe('One data store refusing every write never delays another', () => {
  it.each([
    ['429 to everything', { status: 429, latencyMs: 3 }],
    ['403 access denied', { status: 403, latencyMs: 3, errorType: 'AccessDeniedException' }],
  ] as const)(
    '%s for an hour: B lands at once, all of A after recovery, nothing dead-lettered',
    async (_, refusal) => {
      const { queue, a, bLanded, attempts } = await run(refusal);

      expect(queue.depth).toBe(0);
      expect(queue.deadLetters).toEqual([]);
      expect(queue.deleted).toHaveLength(A_MESSAGES + B_MESSAGES);
      expect(bLanded).toHaveLength(B_MESSAGES);
      // B's 100 writes land within the first minute of simulated time, behind A's 500-message backlog.
      expect(Math.max(...bLanded)).toBeLessThan(60_000);
      // A is probed, not hammered: far fewer failed requests than A's messages times their attempts.
      const refused = a.calls.length - A_MESSAGES;
      expect(refused).toBeLessThan(A_MESSAGES);
      // Deferred records spent no attempts: only the probes counted failures, none ran out.
      expect(attempts.size).toBeLessThan(A_MESSAGES);
    },
  );
});

describe('Per-data-store labels', () => {
  it('labels only allow-listed data stores: a message for another endpoint is dead-lettered without one', async () => {
    const settled: RecordSettlement[] = [];
    const queue = new FifoQueueSimulator({ maxReceiveCount: 1000, visibilityTimeoutSeconds: 360 });
    for (const [id, endpoint] of [
      ['allowed', STORE_B],
      [
        'elsewhere',
        'https://healthlake.us-east-1.amazonaws.com/datastore/cccccccccccccccccccccccccccccccc/r4/',
      ],
    ] as const) {
      const message = deliveryMessage({ id, subscription: { endpoint } });
      queue.send(messageGroupId(message), JSON.stringify(message));
    }
    await queue.run(
      simulationDeps(
        {
          healthLake: () => new FakeHealthLake(),
          telemetry: { settled: (settlement) => settled.push(settlement), warn: () => undefined },
          attempts: new InMemoryDeliveryAttempts(),
          dataStores: new DataStoreHealth(() => queue.now),
        },
        { defaultMaxAttempts: 3, allowedEndpoints: new Set([STORE_B]) },
      ),
      60_000,
    );
    expect(queue.deadLetters).toHaveLength(1);
    expect(queue.deleted).toHaveLength(2);
    const byId = new Map(settled.map((settlement) => [settlement.summary.id, settlement]));
    expect(byId.get('allowed')).toMatchObject({ disposition: 'done', dataStore: 'b'.repeat(32) });
    expect(byId.get('elsewhere')?.disposition).toBe('dead-lettered');
    expect(byId.get('elsewhere')).not.toHaveProperty('dataStore');
  });
});
