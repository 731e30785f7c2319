import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptivePacer } from '../../../shared/healthlake/AdaptivePacer.js';
import { PacedHealthLake } from '../../../shared/healthlake/PacedHealthLake.js';
import type { HealthLakeApi, HealthLakeResponse } from '../../../shared/healthlake/types.js';

/** Sends `count` writes through the pacer, each started as soon as it is allowed. */
const sendAll = async (pacer: AdaptivePacer, count: number): Promise<number[]> => {
  const started: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      await pacer.acquire();
      started.push(Date.now());
    }),
  );
  return started;
};

describe('AdaptivePacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets every write through at once until HealthLake throttles', async () => {
    const pacer = new AdaptivePacer();
    const started = await sendAll(pacer, 50);
    expect(new Set(started).size).toBe(1);
    for (let index = 0; index < 50; index++) pacer.record(false);
    expect(pacer.currentRate).toBe(Infinity);
  });

  it('ignores a few 429s among many writes', async () => {
    const pacer = new AdaptivePacer();
    await sendAll(pacer, 100);
    for (let index = 0; index < 9; index++) pacer.record(true);
    expect(pacer.currentRate).toBe(Infinity);
    const few = new AdaptivePacer();
    await sendAll(few, 5);
    for (let index = 0; index < 2; index++) few.record(true);
    expect(few.currentRate).toBe(Infinity);
  });

  it('once a tenth of the last second is refused, paces at 70 % of it, one decrease per burst', async () => {
    const pacer = new AdaptivePacer();
    await sendAll(pacer, 100);
    for (let index = 0; index < 10; index++) pacer.record(true);
    expect(pacer.currentRate).toBeCloseTo(70);
    // The rest of the same burst is one signal, not ten decreases.
    for (let index = 0; index < 10; index++) pacer.record(true);
    expect(pacer.currentRate).toBeCloseTo(70);

    const pending = sendAll(pacer, 8);
    await vi.runAllTimersAsync();
    const started = await pending;
    const gaps = started.slice(1).map((time, index) => time - started[index]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(14);
    expect(started.at(-1)! - started[0]!).toBeGreaterThanOrEqual(7 * 14);
  });

  it('a second burst after the window lowers the rate again, never below the minimum', async () => {
    const pacer = new AdaptivePacer({ minRate: 5 });
    await sendAll(pacer, 20);
    for (let index = 0; index < 4; index++) pacer.record(true);
    expect(pacer.currentRate).toBeCloseTo(14);
    vi.advanceTimersByTime(1_500);
    for (let index = 0; index < 3; index++) pacer.record(true);
    // Nothing was sent in the last second: the floor holds.
    expect(pacer.currentRate).toBe(5);
  });

  it('grows again without throttles, up to twice what is sent, and stops pacing after a quiet minute', async () => {
    const pacer = new AdaptivePacer();
    await sendAll(pacer, 100);
    for (let index = 0; index < 20; index++) pacer.record(true);
    expect(pacer.currentRate).toBeCloseTo(70);
    // One second later, 70 writes sent in it: 20 % growth.
    vi.advanceTimersByTime(1_000);
    const pending = sendAll(pacer, 70);
    await vi.runAllTimersAsync();
    await pending;
    pacer.record(false);
    expect(pacer.currentRate).toBeGreaterThan(70);
    expect(pacer.currentRate).toBeLessThanOrEqual(70 * 1.2 * 2);
    // A quiet spell does not lower the rate...
    vi.advanceTimersByTime(30_000);
    const before = pacer.currentRate;
    pacer.record(false);
    expect(pacer.currentRate).toBeGreaterThanOrEqual(before);
    // ...and a minute without a throttle ends pacing.
    vi.advanceTimersByTime(31_000);
    pacer.record(false);
    expect(pacer.currentRate).toBe(Infinity);
  });

  it('holds every write until a Retry-After has passed', async () => {
    const pacer = new AdaptivePacer();
    pacer.holdUntil(Date.now() + 2_000);
    const pending = sendAll(pacer, 3);
    await vi.advanceTimersByTimeAsync(1_999);
    let done = false;
    void pending.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).every((time) => time >= 1_002_000)).toBe(true);
  });
});

describe('PacedHealthLake', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const answering = (statuses: number[], retryAfterSeconds?: number) => {
    const calls: { method: string; timeoutMs?: number }[] = [];
    const next = (): HealthLakeResponse => ({
      status: statuses.shift() ?? 200,
      latencyMs: 1,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
    const api: HealthLakeApi = {
      put: async (_type, _id, _body, options) => {
        calls.push({
          method: 'PUT',
          ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        });
        return next();
      },
      delete: async (_type, _id, options) => {
        calls.push({
          method: 'DELETE',
          ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        });
        return next();
      },
    };
    return { api, calls };
  };

  it('passes answers through unchanged and feeds 429s to the pacer', async () => {
    const { api, calls } = answering([200, 429]);
    const pacer = new AdaptivePacer({ minThrottles: 1, minThrottleShare: 0 });
    const paced = new PacedHealthLake(api, pacer);
    expect((await paced.put('Patient', 'p1', '{}')).status).toBe(200);
    expect(pacer.currentRate).toBe(Infinity);
    expect((await paced.delete('Patient', 'p1')).status).toBe(429);
    expect(pacer.currentRate).toBeLessThan(Infinity);
    expect(calls.map((call) => call.method)).toEqual(['PUT', 'DELETE']);
  });

  it('a Retry-After holds the next write, and the wait comes off its time limit', async () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const { api, calls } = answering([429, 200], 2);
    const paced = new PacedHealthLake(api);
    await paced.put('Patient', 'p1', '{}', { timeoutMs: 10_000 });
    const second = paced.put('Patient', 'p2', '{}', { timeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await second).status).toBe(200);
    expect(calls[0]?.timeoutMs).toBe(10_000);
    expect(calls[1]?.timeoutMs).toBeLessThanOrEqual(8_000);
  });
});
