import type { CredentialProvider } from './credentials.js';
import { HealthLakeClient, type HealthLakeClientOptions } from './HealthLakeClient.js';
import { PacedHealthLake } from './PacedHealthLake.js';
import type { HealthLakeApi } from './types.js';

export type HealthLakeClientPoolOptions = Omit<HealthLakeClientOptions, 'endpoint' | 'credentials'> & {
  readonly credentials: CredentialProvider;
  /** Pace each data store's writes after a 429 (PacedHealthLake). @default true */
  readonly adaptivePacing?: boolean;
  /** Transaction Bundles per second per data store from this instance (payload search). @default 1 */
  readonly bundleRequestsPerSecond?: number;
  /** Longest a `Retry-After` holds a data store's writes, seconds (the retry maximum). @default 300 */
  readonly maxRetryAfterSeconds?: number;
};

/**
 * One keep-alive `HealthLakeClient` per data store endpoint, created on first use and kept for the life
 * of the Lambda instance (messages name their endpoint; usually there is one), paced per data store
 * (transaction Bundles always; PUT and DELETE unless `adaptivePacing` is off).
 */
export class HealthLakeClientPool {
  private readonly clients = new Map<string, { client: HealthLakeClient; api: HealthLakeApi }>();

  public constructor(private readonly options: HealthLakeClientPoolOptions) {}

  /** The client of `endpoint`. */
  public get(endpoint: string): HealthLakeApi {
    let entry = this.clients.get(endpoint);
    if (!entry) {
      const {
        adaptivePacing = true,
        bundleRequestsPerSecond,
        maxRetryAfterSeconds,
        ...clientOptions
      } = this.options;
      const client = new HealthLakeClient({ ...clientOptions, endpoint });
      // Always wrapped: the Bundle rate applies even when PUT/DELETE pacing is off.
      const api = new PacedHealthLake(client, undefined, undefined, {
        adaptive: adaptivePacing,
        ...(bundleRequestsPerSecond === undefined ? {} : { bundleRequestsPerSecond }),
        ...(maxRetryAfterSeconds === undefined ? {} : { maxRetryAfterSeconds }),
      });
      entry = { client, api };
      this.clients.set(endpoint, entry);
    }
    return entry.api;
  }

  /**
   * Data stores with a client: one per endpoint ever asked for. The deliverer asks only for endpoints on
   * its allow-list (deliverBatch refuses the others first), so this never exceeds the allow-list.
   */
  public get size(): number {
    return this.clients.size;
  }

  /** Closes every client's sockets. */
  public destroy(): void {
    for (const { client } of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
