import { describe, expect, it } from 'vitest';
import { EnqueueError } from '../../../shared/ingest/errors.js';
import { RoutingDeliveryQueue } from '../../../shared/ingest/RoutingDeliveryQueue.js';
import type { DeliveryQueue } from '../../../shared/ingest/SqsDeliveryQueue.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { deliveryMessage, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';

const recordingQueue = (): DeliveryQueue & { readonly sent: DeliveryMessage[][] } => {
  const sent: DeliveryMessage[][] = [];
  return { sent, enqueue: async (messages) => void sent.push([...messages]) };
};

describe('Class: RoutingDeliveryQueue', () => {
  it('sends sql:// messages to the SQL queue and every other one to the HealthLake queue, in order', async () => {
    const healthLake = recordingQueue();
    const sql = recordingQueue();
    const messages = [
      deliveryMessage({ id: 'a', versionId: '1' }),
      deliveryMessage({ id: 'a', versionId: '1', subscription: { id: 's2', endpoint: 'sql://warehouse' } }),
      deliveryMessage({
        id: 'b',
        versionId: '1',
        operation: 'delete',
        subscription: { endpoint: 'sql://warehouse' },
      }),
      deliveryMessage({ id: 'a', versionId: '2', subscription: { id: 's2', endpoint: 'sql://warehouse' } }),
    ];
    await new RoutingDeliveryQueue({ healthLake, sql }).enqueue(messages);
    expect(healthLake.sent).toEqual([[messages[0]]]);
    expect(sql.sent).toEqual([[messages[1], messages[2], messages[3]]]);
  });

  it('refuses a SQL message when no SQL queue is configured, so the write is not acknowledged', async () => {
    const healthLake = recordingQueue();
    const queue = new RoutingDeliveryQueue({ healthLake });
    await expect(
      queue.enqueue([deliveryMessage({ subscription: { endpoint: 'sql://warehouse' } })]),
    ).rejects.toBeInstanceOf(EnqueueError);
    await queue.enqueue([deliveryMessage({ subscription: { endpoint: TEST_ENDPOINT } })]);
    expect(healthLake.sent).toHaveLength(1);
  });

  it('rejects when either queue refuses its share', async () => {
    const failing: DeliveryQueue = { enqueue: () => Promise.reject(new EnqueueError('refused')) };
    const queue = new RoutingDeliveryQueue({ healthLake: recordingQueue(), sql: failing });
    await expect(
      queue.enqueue([deliveryMessage(), deliveryMessage({ subscription: { endpoint: 'sql://warehouse' } })]),
    ).rejects.toBeInstanceOf(EnqueueError);
  });
});
