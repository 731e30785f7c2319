import { TokenBucket } from '../fhirClient/TokenBucket.js';
import { DEFAULT_BUNDLE_REQUESTS_PER_SECOND, DEFAULT_MAX_RETRY_AFTER_SECONDS } from './constants.js';
import { AdaptivePacer } from './AdaptivePacer.js';
import type { HealthLakeApi, HealthLakeResponse, RequestOptions } from './types.js';

const THROTTLED = 429;

export interface PacedHealthLakeOptions {
  /** Pace PUT and DELETE after a 429 (false: they go straight to the client). @default true */
  readonly adaptive?: boolean;
  /**
   * Most transaction Bundles per second to this data store from this instance (0 = unlimited).
   * @default DEFAULT_BUNDLE_REQUESTS_PER_SECOND (1)
   */
  readonly bundleRequestsPerSecond?: number;
  /** Paces transaction Bundles after a 429 (HealthLake's Bundle quota is separate from its write quota). */
  readonly bundlePacer?: AdaptivePacer;
  /**
   * Longest a `Retry-After` holds the writes, seconds (the deliverer's retry maximum): a server asking
   * for a day must not park the instance for a day. @default DEFAULT_MAX_RETRY_AFTER_SECONDS (300)
   */
  readonly maxRetryAfterSeconds?: number;
}

/**
 * One data store's writes from this instance, paced once HealthLake throttles them (AdaptivePacer): a
 * 429 lowers the send rate, successes raise it again, a `Retry-After` holds every write back until it
 * has passed (at most `maxRetryAfterSeconds`, and never past the time limit of the request it answered,
 * so the invocation's later writes still end in time). Why: above the quota, retried 429s use capacity
 * and hold back their FIFO groups (`npm run bench -- quota` compares both). Transaction Bundles (payload
 * search) have their own quota (10 Bundle requests per second per data store, 1 on older data stores):
 * they are held to `bundleRequestsPerSecond` and paced by their own AdaptivePacer after a 429.
 *
 * @example
 * const paced = new PacedHealthLake(new HealthLakeClient({ endpoint, credentials }));
 * await paced.put('Patient', 'p1', body, { timeoutMs: 5_000 });
 */
export class PacedHealthLake implements HealthLakeApi {
  /** Whether PUT and DELETE are paced after a 429 (transaction Bundles always are). */
  public readonly adaptive: boolean;
  private readonly bundleBucket: TokenBucket;
  private readonly bundlePacer: AdaptivePacer;
  private readonly maxHoldMs: number;

  public constructor(
    private readonly client: HealthLakeApi,
    private readonly pacer = new AdaptivePacer(),
    private readonly now: () => number = Date.now,
    options: PacedHealthLakeOptions = {},
  ) {
    this.adaptive = options.adaptive ?? true;
    this.maxHoldMs = (options.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS) * 1000;
    this.bundleBucket = new TokenBucket({
      ratePerSecond: options.bundleRequestsPerSecond ?? DEFAULT_BUNDLE_REQUESTS_PER_SECOND,
      now,
    });
    // Bundles are few (about one a second): every 429 counts, and the floor is below their rate.
    this.bundlePacer =
      options.bundlePacer ?? new AdaptivePacer({ minThrottles: 1, minThrottleShare: 0, minRate: 0.2 }, now);
  }

  /** How long a write (or transaction Bundle) started now would wait on this data store's pacing, ms. */
  public heldForMs(): number {
    return Math.max(this.adaptive ? this.pacer.waitMs() : 0, this.bundlePacer.waitMs());
  }

  public put(resourceType: string, id: string, body: string, options?: RequestOptions) {
    if (!this.adaptive) return this.client.put(resourceType, id, body, options);
    return this.paced(this.pacer, options, (paced) => this.client.put(resourceType, id, body, paced));
  }

  public delete(resourceType: string, id: string, options?: RequestOptions) {
    if (!this.adaptive) return this.client.delete(resourceType, id, options);
    return this.paced(this.pacer, options, (paced) => this.client.delete(resourceType, id, paced));
  }

  public transaction(body: string, options?: RequestOptions) {
    const client = this.client;
    if (!client.transaction) throw new Error('This HealthLake client cannot send transaction Bundles');
    return this.paced(
      this.bundlePacer,
      options,
      (paced) => client.transaction!(body, paced),
      () => this.bundleBucket.take(),
    );
  }

  private async paced(
    pacer: AdaptivePacer,
    options: RequestOptions | undefined,
    send: (options: RequestOptions | undefined) => Promise<HealthLakeResponse>,
    before?: () => Promise<void>,
  ): Promise<HealthLakeResponse> {
    const started = this.now();
    await before?.();
    await pacer.acquire();
    // The wait counts against the caller's time limit, so the invocation still ends in time.
    const waited = this.now() - started;
    const timeoutMs = options?.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - waited);
    const response = await send(timeoutMs === undefined ? options : { ...options, timeoutMs });
    const throttled = response.status === THROTTLED;
    pacer.record(throttled);
    if (throttled && response.retryAfterSeconds !== undefined) {
      const now = this.now();
      // What was left of this request's time limit: the writes after it belong to the same invocation.
      const remainingMs = options?.timeoutMs === undefined ? Infinity : options.timeoutMs - (now - started);
      const holdMs = Math.min(response.retryAfterSeconds * 1000, this.maxHoldMs, remainingMs);
      if (holdMs > 0) pacer.holdUntil(now + holdMs);
    }
    return response;
  }
}
