/** Expired times are copied out once they are at least this many and half the array. */
const MIN_COMPACTION = 64;

/**
 * The times of the events of the last `windowMs`, for a count over a sliding window. Times older than
 * the window are dropped as new ones arrive, so what it holds follows the event rate (at most about
 * twice the events of one window), never how long the instance has lived.
 *
 * @example
 * const sent = new SlidingWindow(1000);
 * sent.add(Date.now());
 * sent.count(Date.now()); // 1
 */
export class SlidingWindow {
  private times: number[] = [];
  /** Index of the oldest time still in the window; the ones before it await compaction. */
  private head = 0;

  public constructor(private readonly windowMs: number) {}

  /** Records an event at `time` (epoch ms, not before the previous one). */
  public add(time: number): void {
    this.times.push(time);
    this.expire(time);
  }

  /** Events in the window that ends at `now` (a time exactly `windowMs` old is out of it). */
  public count(now: number): number {
    this.expire(now);
    return this.times.length - this.head;
  }

  /** Times held in memory, expired ones not yet compacted included: the structure's whole size. */
  public get retained(): number {
    return this.times.length;
  }

  private expire(now: number): void {
    const oldest = now - this.windowMs;
    const times = this.times;
    // Stryker disable next-line EqualityOperator,ConditionalExpression: past the end, times[head] is undefined and the comparison fails
    while (this.head < times.length && times[this.head]! <= oldest) this.head += 1;
    // Amortised: copying out `head` expired times happens once per `head` additions at least.
    if (this.head >= MIN_COMPACTION && this.head * 2 >= times.length) {
      this.times = times.slice(this.head);
      this.head = 0;
    }
  }
}
