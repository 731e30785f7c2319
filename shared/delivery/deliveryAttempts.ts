/**
 * How many times each queued message was really tried and failed. SQS's receive count also climbs when
 * a record is received but not tried (held back behind a failed member of its FIFO group, left unstarted
 * at the time limit, deferred while its data store is down), so retries are counted here instead.
 */
export interface DeliveryAttempts {
  /** Counts one more failed attempt of `messageId`; resolves with its failed attempts so far (1-based). */
  failed(messageId: string): Promise<number>;
}

/** Attempts in memory: tests, benchmarks and simulations (one process sees every receive). */
export class InMemoryDeliveryAttempts implements DeliveryAttempts {
  private readonly counts = new Map<string, number>();

  public failed(messageId: string): Promise<number> {
    const count = (this.counts.get(messageId) ?? 0) + 1;
    this.counts.set(messageId, count);
    return Promise.resolve(count);
  }

  /** Messages with a counted failure (the map never outlives a test). */
  public get size(): number {
    return this.counts.size;
  }
}
