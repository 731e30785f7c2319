/**
 * A token bucket limiting requests per second to the source server. `take()` resolves when a token
 * is available; callers queue in order. `rate <= 0` disables limiting.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 20, burst: 5 });
 * await bucket.take();
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly capacity: number;
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  public constructor(options: { ratePerSecond: number; burst?: number; now?: () => number }) {
    this.rate = options.ratePerSecond;
    this.capacity = Math.max(1, options.burst ?? Math.ceil(options.ratePerSecond));
    this.tokens = this.capacity;
    this.now = options.now ?? (() => performance.now());
    this.last = this.now();
  }

  public take(): Promise<void> {
    if (!(this.rate > 0)) return Promise.resolve();
    const turn = this.tail.then(() => this.waitForToken());
    this.tail = turn;
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.rate) * 1000);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
