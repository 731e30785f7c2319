import { AdaptivePacer } from './AdaptivePacer.js';
import type { HealthLakeApi, HealthLakeResponse, RequestOptions } from './types.js';

const THROTTLED = 429;

/**
 * One data store's writes from this instance, paced once HealthLake throttles them (AdaptivePacer): a
 * 429 lowers the send rate, successes raise it again, a `Retry-After` holds every write back until it
 * has passed. Why: above the quota, retried 429s use capacity and hold back their FIFO groups
 * (`npm run bench -- quota` compares both).
 *
 * @example
 * const paced = new PacedHealthLake(new HealthLakeClient({ endpoint, credentials }));
 * await paced.put('Patient', 'p1', body, { timeoutMs: 5_000 });
 */
export class PacedHealthLake implements HealthLakeApi {
  public constructor(
    private readonly client: HealthLakeApi,
    private readonly pacer = new AdaptivePacer(),
    private readonly now: () => number = Date.now,
  ) {}

  public put(resourceType: string, id: string, body: string, options?: RequestOptions) {
    return this.paced(options, (paced) => this.client.put(resourceType, id, body, paced));
  }

  public delete(resourceType: string, id: string, options?: RequestOptions) {
    return this.paced(options, (paced) => this.client.delete(resourceType, id, paced));
  }

  private async paced(
    options: RequestOptions | undefined,
    send: (options: RequestOptions | undefined) => Promise<HealthLakeResponse>,
  ): Promise<HealthLakeResponse> {
    const started = this.now();
    await this.pacer.acquire();
    // The wait counts against the caller's time limit, so the invocation still ends in time.
    const waited = this.now() - started;
    const timeoutMs = options?.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - waited);
    const response = await send(timeoutMs === undefined ? options : { ...options, timeoutMs });
    const throttled = response.status === THROTTLED;
    this.pacer.record(throttled);
    if (throttled && response.retryAfterSeconds !== undefined) {
      this.pacer.holdUntil(this.now() + response.retryAfterSeconds * 1000);
    }
    return response;
  }
}
