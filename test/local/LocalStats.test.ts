import { describe, expect, it } from 'vitest';
import { LocalStats, MAX_TRACKED_IN_FLIGHT } from '../../local/LocalStats.js';

// What a local connector's counters hold after days of running: the last minutes, and the messages
// in flight now, never one entry per minute or per message since it started.

describe('Class: LocalStats', () => {
  it('keeps the counts of the five minutes it shows, however long it runs', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const stats = new LocalStats(() => now);
    // Three days of deliveries, a few every minute.
    for (let minute = 0; minute < 3 * 24 * 60; minute += 1) {
      stats.settledDone('delivered', 3);
      now += 60_000;
    }
    stats.settledDone('delivered', 7);
    expect(stats.retained.minutes).toBe(5);
    expect(stats.view().deliveredPerMinute).toEqual([3, 3, 3, 3, 7]);
    expect(stats.delivered).toBe(3 * 24 * 60 * 3 + 7);
  });

  it('tracks at most MAX_TRACKED_IN_FLIGHT messages, forgetting the longest in flight first', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const stats = new LocalStats(() => now);
    // Messages received whose batch never reported back (an invocation that crashed).
    for (let index = 0; index < MAX_TRACKED_IN_FLIGHT + 500; index += 1) {
      stats.received(`m-${index}`, now - 1_000_000 + index);
    }
    expect(stats.retained.inFlight).toBe(MAX_TRACKED_IN_FLIGHT);
    // The 500 oldest were forgotten: the oldest left was sent 500 ms after the first.
    expect(stats.oldestInFlightSeconds(now)).toBe((1_000_000 - 500) / 1000);
    for (let index = 500; index < MAX_TRACKED_IN_FLIGHT + 500; index += 1) stats.finished(`m-${index}`);
    expect(stats.retained.inFlight).toBe(0);
  });
});
