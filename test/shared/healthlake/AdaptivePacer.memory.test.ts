import { describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../../shared/healthlake/AdaptivePacer.js';

// What a deliverer instance's pacer holds after hours of writes: one second's worth, not every write.

/** A pacer on a clock the test moves by hand. */
const pacerOnClock = () => {
  const clock = { now: 1_000_000 };
  const pacer = new AdaptivePacer({}, () => clock.now);
  return { pacer, clock };
};

describe('AdaptivePacer (memory)', () => {
  it('holds only the last second of writes while not pacing, however many were sent', async () => {
    const { pacer, clock } = pacerOnClock();
    // 100,000 unthrottled writes at 1,000/s, as a deliverer sends them for 100 s.
    for (let index = 0; index < 100_000; index += 1) {
      clock.now += 1;
      await pacer.acquire();
      pacer.record(false);
    }
    expect(pacer.currentRate).toBe(Infinity);
    // One second holds 1,000 writes; the window may hold up to twice that before it compacts.
    expect(pacer.retainedTimes).toBeLessThanOrEqual(2 * 1_000 + 1);
  });

  it('holds only the last second of writes and 429s while pacing', async () => {
    const { pacer, clock } = pacerOnClock();
    for (let index = 0; index < 50_000; index += 1) {
      const rate = pacer.currentRate;
      await pacer.acquire();
      pacer.record(index % 5 === 0);
      // The clock moves to the next slot (at most 500 writes/s), so no write has to sleep.
      clock.now += Math.max(2, 1000 / rate);
    }
    expect(pacer.currentRate).toBeLessThan(Infinity);
    // At most 500 writes and 100 throttles in a second.
    expect(pacer.retainedTimes).toBeLessThanOrEqual(2 * 600 + 2);
  });

  it('forgets a burst once its second has passed', async () => {
    const { pacer, clock } = pacerOnClock();
    for (let index = 0; index < 10_000; index += 1) await pacer.acquire();
    clock.now += 1_000;
    await pacer.acquire();
    expect(pacer.retainedTimes).toBe(1);
  });
});
