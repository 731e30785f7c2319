import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptivePacer } from '../../../shared/healthlake/AdaptivePacer.js';

// The pacer's figures at the edges of its windows, on a fake clock.

const START = 1_000_000;

/** A pacer after a burst of `sent` writes at START of which `refused` were throttled: now pacing. */
const throttledPacer = async (sent = 100, refused = 10, options = {}) => {
  const pacer = new AdaptivePacer(options);
  for (let index = 0; index < sent; index += 1) await pacer.acquire();
  for (let index = 0; index < refused; index += 1) pacer.record(true);
  return pacer;
};

describe('AdaptivePacer (boundaries)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grows in proportion to the time since the last change, capped at twice the rate sent', async () => {
    const pacer = await throttledPacer();
    expect(pacer.currentRate).toBeCloseTo(70);
    // Half a second later: 10 % growth (20 %/s), well under twice the 100 writes of the last second.
    vi.setSystemTime(START + 500);
    pacer.record(false);
    expect(pacer.currentRate).toBeCloseTo(77);
    // 400 ms on, the first burst still in the window: 8 % more, but the cap of 200 is far.
    vi.setSystemTime(START + 900);
    pacer.record(false);
    expect(pacer.currentRate).toBeCloseTo(77 * 1.08);
  });

  it('lowers the rate again once a full decrease window has passed', async () => {
    const pacer = await throttledPacer(100, 10, { minRate: 1 });
    expect(pacer.currentRate).toBeCloseTo(70);
    // More 429s within the window are the same signal.
    vi.setSystemTime(START + 999);
    for (let index = 0; index < 10; index += 1) pacer.record(true);
    expect(pacer.currentRate).toBeCloseTo(70);
    vi.setSystemTime(START + 1_000);
    pacer.record(true);
    // Nothing sent in the last second any more: down to the floor.
    expect(pacer.currentRate).toBe(1);
  });

  it('counts a write exactly one second old as out of the last second', async () => {
    const pacer = new AdaptivePacer({ minRate: 1 });
    for (let index = 0; index < 100; index += 1) await pacer.acquire();
    vi.setSystemTime(START + 1_000);
    for (let index = 0; index < 3; index += 1) pacer.record(true);
    // Nothing sent in the last second: the rate falls to the floor, not to 70 % of 100.
    expect(pacer.currentRate).toBe(1);
  });

  it('stops pacing exactly when the quiet period has passed', async () => {
    const pacer = await throttledPacer(100, 10, { releaseAfterMs: 5_000 });
    vi.setSystemTime(START + 4_999);
    pacer.record(false);
    expect(pacer.currentRate).toBeLessThan(Infinity);
    vi.setSystemTime(START + 5_000);
    pacer.record(false);
    expect(pacer.currentRate).toBe(Infinity);
  });
});
