import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../../shared/healthlake/SlidingWindow.js';

describe('SlidingWindow', () => {
  it('counts the events of the last window, one exactly a window old being out', () => {
    const window = new SlidingWindow(1_000);
    window.add(0);
    window.add(500);
    window.add(999);
    expect(window.count(999)).toBe(3);
    expect(window.count(1_000)).toBe(2);
    expect(window.count(1_499)).toBe(2);
    expect(window.count(1_500)).toBe(1);
    expect(window.count(5_000)).toBe(0);
  });

  it('holds at most about twice one window of events, however many were added', () => {
    const window = new SlidingWindow(1_000);
    let largest = 0;
    // 1,000,000 events at 10 per ms: 10,000 per window.
    for (let index = 0; index < 1_000_000; index += 1) {
      window.add(Math.floor(index / 10));
      largest = Math.max(largest, window.retained);
    }
    expect(window.count(Math.floor(999_999 / 10))).toBe(10_000);
    expect(largest).toBeLessThanOrEqual(2 * 10_000 + 1);
  });

  it('keeps a few expired times until enough are worth copying out', () => {
    const window = new SlidingWindow(10);
    for (let time = 0; time < 20; time += 1) window.add(time);
    // 10 in the window, 10 expired: too few to compact yet.
    expect(window.count(19)).toBe(10);
    expect(window.retained).toBe(20);
    window.add(200);
    expect(window.count(200)).toBe(1);
    expect(window.retained).toBeLessThanOrEqual(64 + 1);
  });
});
