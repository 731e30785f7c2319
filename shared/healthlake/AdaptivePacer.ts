import { SlidingWindow } from './SlidingWindow.js';

/** How the pacer reacts; the defaults suit HealthLake's per-second write quota. */
export interface AdaptivePacerOptions {
  /** Rate kept after a throttle, as a fraction of the rate sent in the last second. @default 0.7 */
  readonly decrease?: number;
  /** Growth of the paced rate per second without a throttle (0.2 = 20 %/s). @default 0.2 */
  readonly growthPerSecond?: number;
  /** At most one decrease per window, ms: a burst of 429s is one signal. @default 1000 */
  readonly decreaseWindowMs?: number;
  /** Pacing stops after this long without a throttle, ms. @default 60_000 */
  readonly releaseAfterMs?: number;
  /** Lowest paced rate, writes/s: one batch a second still flows. @default 10 */
  readonly minRate?: number;
  /**
   * A decrease needs this share of the last second's writes refused (and `minThrottles` of them), so a
   * few 429s that have nothing to do with the rate (HealthLake answers some under any load) do not
   * slow everything down. @default 0.1
   */
  readonly minThrottleShare?: number;
  /** @default 3 */
  readonly minThrottles?: number;
}

const WINDOW_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spaces one data store's writes from this instance once it throttles them: when a tenth of the last
 * second's writes were refused (429), the rate is set to a fraction of what was sent in it (at most once
 * per window), each second without such a burst lets it grow again, and a quiet minute ends pacing. `holdUntil` (from `Retry-After`) stops every write until
 * then. Until the first throttle nothing waits.
 *
 * Why not the AWS SDK's adaptive `DefaultRateLimiter`: its send-rate estimate starts at zero, so a
 * throttle in the first second of a backlog drops it to 0.5 writes/s and its CUBIC recovery takes
 * seconds; measured by `npm run bench -- quota` at twice the needed concurrency it delivered 46 % of the
 * quota, against 83 % without pacing.
 */
export class AdaptivePacer {
  private rate = Infinity;
  private nextSlot = 0;
  private lastDecrease = -Infinity;
  // Stryker disable next-line UnaryOperator: read only after a counted throttle has set it
  private lastThrottle = -Infinity;
  private lastGrowth = 0;
  /** Start times of the last second's writes; older ones are dropped as writes go on, paced or not. */
  private readonly sent = new SlidingWindow(WINDOW_MS);
  private readonly throttles = new SlidingWindow(WINDOW_MS);
  private readonly decrease: number;
  private readonly growthPerSecond: number;
  private readonly decreaseWindowMs: number;
  private readonly releaseAfterMs: number;
  private readonly minRate: number;
  private readonly minThrottleShare: number;
  private readonly minThrottles: number;

  public constructor(
    options: AdaptivePacerOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.decrease = options.decrease ?? 0.7;
    this.growthPerSecond = options.growthPerSecond ?? 0.2;
    this.decreaseWindowMs = options.decreaseWindowMs ?? 1000;
    this.releaseAfterMs = options.releaseAfterMs ?? 60_000;
    this.minRate = options.minRate ?? 10;
    this.minThrottleShare = options.minThrottleShare ?? 0.1;
    this.minThrottles = options.minThrottles ?? 3;
  }

  /** Writes per second currently allowed (Infinity when not pacing). */
  public get currentRate(): number {
    return this.rate;
  }

  /** How long a write asked for now would wait for its turn, ms (0 when not pacing and not held). */
  public waitMs(): number {
    return Math.max(0, this.nextSlot - this.now());
  }

  /** Waits for this write's turn; resolves at once when not pacing and not held. */
  public async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = Number.isFinite(this.rate) ? slot + 1000 / this.rate : slot;
    if (slot > now) await sleep(slot - now);
    this.sent.add(this.now());
  }

  /** Write and throttle times held in memory (at most about twice one second's worth). */
  public get retainedTimes(): number {
    return this.sent.retained + this.throttles.retained;
  }

  /** Feeds the answer back: a throttle slows the writes down, a success lets them speed up. */
  public record(throttled: boolean): void {
    const now = this.now();
    if (throttled) {
      this.throttles.add(now);
      const refused = this.throttles.count(now);
      const sent = this.sentRate(now);
      if (refused < this.minThrottles || refused < this.minThrottleShare * sent) return;
      this.lastThrottle = now;
      if (now - this.lastDecrease < this.decreaseWindowMs) return;
      this.lastDecrease = now;
      this.lastGrowth = now;
      this.rate = Math.max(this.minRate, Math.min(this.rate, sent) * this.decrease);
      return;
    }
    // Stryker disable next-line ConditionalExpression: a fast path; below, max(Infinity, grown) keeps Infinity
    if (!Number.isFinite(this.rate)) return;
    if (now - this.lastThrottle >= this.releaseAfterMs) {
      this.rate = Infinity;
      return;
    }
    const seconds = (now - this.lastGrowth) / 1000;
    this.lastGrowth = now;
    // Growing far past what is actually sent would only let the next burst through unpaced; a quiet
    // spell (little sent) must not lower the rate either.
    const grown = Math.min(this.rate * (1 + this.growthPerSecond * seconds), 2 * this.sentRate(now));
    this.rate = Math.max(this.rate, grown);
  }

  /** No write starts before `time` (epoch ms), e.g. from a `Retry-After`. */
  public holdUntil(time: number): void {
    this.nextSlot = Math.max(this.nextSlot, time);
  }

  /** Writes started in the last second. */
  private sentRate(now: number): number {
    return (this.sent.count(now) * 1000) / WINDOW_MS;
  }
}
