import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import { isSqlEndpoint } from '../subscriptions/sqlEndpoint.js';
import { EnqueueError } from './errors.js';
import type { DeliveryQueue } from './SqsDeliveryQueue.js';

/**
 * Sends each delivery message to the queue of its kind of target: `sql://` endpoints to the SQL
 * queue (read by the SQL writer, in the database's VPC), every other endpoint to the HealthLake
 * delivery queue. Both are FIFO with the same per-resource groups and deduplication ids, so ordering
 * per resource, versions and deletes follow the same rules on either side. Resolves when both accepted
 * their share; a SQL message with no SQL queue configured fails the write (the allow-list keeps such
 * Subscriptions out, so this only guards against a configuration that changed under a cached one).
 *
 * @example
 * const queue = new RoutingDeliveryQueue({ healthLake: deliveryQueue, sql: sqlQueue });
 * await queue.enqueue(messages);
 */
export class RoutingDeliveryQueue implements DeliveryQueue {
  public constructor(
    private readonly queues: { readonly healthLake: DeliveryQueue; readonly sql?: DeliveryQueue },
  ) {}

  public async enqueue(messages: readonly DeliveryMessage[]): Promise<void> {
    const sql: DeliveryMessage[] = [];
    const healthLake: DeliveryMessage[] = [];
    for (const message of messages)
      (isSqlEndpoint(message.subscription.endpoint) ? sql : healthLake).push(message);
    if (sql.length > 0 && this.queues.sql === undefined) {
      throw new EnqueueError(`${sql.length} message(s) for a SQL target, and no SQL queue is configured`);
    }
    await Promise.all([
      this.queues.healthLake.enqueue(healthLake),
      sql.length === 0 ? undefined : this.queues.sql?.enqueue(sql),
    ]);
  }
}
