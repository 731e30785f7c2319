import { describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../../shared/healthlake/AdaptivePacer.js';
import { PacedHealthLake } from '../../../shared/healthlake/PacedHealthLake.js';
import type { HealthLakeResponse } from '../../../shared/healthlake/types.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

describe('Class: PacedHealthLake (transaction Bundles)', () => {
  it('sends a transaction through and paces Bundles apart from PUT and DELETE after a 429', async () => {
    const fake = new FakeHealthLake();
    const answers: HealthLakeResponse[] = [
      { status: 200, latencyMs: 1 },
      { status: 429, latencyMs: 1 },
    ];
    fake.responder = (call) => (call.method === 'POST' ? answers.shift()! : { status: 200, latencyMs: 1 });
    const pacer = new AdaptivePacer();
    const bundlePacer = new AdaptivePacer({ minThrottles: 1, minThrottleShare: 0 });
    const paced = new PacedHealthLake(fake, pacer, Date.now, { bundleRequestsPerSecond: 0, bundlePacer });
    const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [] });

    expect((await paced.transaction(bundle)).status).toBe(200);
    expect((await paced.transaction(bundle)).status).toBe(429);
    expect(bundlePacer.currentRate).toBeLessThan(Infinity);
    // HealthLake's Bundle quota is separate from its write quota: PUTs are not slowed.
    expect(pacer.currentRate).toBe(Infinity);
    expect((await paced.put('Patient', 'p1', '{}')).status).toBe(200);
    expect(fake.calls.map((call) => call.method)).toEqual(['POST', 'POST', 'PUT']);
  });

  it('sends PUT and DELETE straight through when adaptive pacing is off, still pacing Bundles', async () => {
    const fake = new FakeHealthLake();
    fake.responder = () => ({ status: 429, latencyMs: 1 });
    const pacer = new AdaptivePacer();
    const bundlePacer = new AdaptivePacer({ minThrottles: 1, minThrottleShare: 0 });
    const paced = new PacedHealthLake(fake, pacer, Date.now, { adaptive: false, bundlePacer });
    await paced.put('Patient', 'p1', '{}');
    await paced.delete('Patient', 'p1');
    expect(pacer.currentRate).toBe(Infinity);
    await paced.transaction('{}');
    expect(bundlePacer.currentRate).toBeLessThan(Infinity);
  });
});

describe('Class: PacedHealthLake (Retry-After)', () => {
  /** The hold each answer puts on the pacer, ms from the (fixed) clock. */
  const holdsAfter = async (
    retryAfterSeconds: number,
    request: { timeoutMs?: number } | undefined,
    options: { maxRetryAfterSeconds?: number } = {},
  ) => {
    const fake = new FakeHealthLake();
    fake.responder = () => ({ status: 429, latencyMs: 1, retryAfterSeconds });
    const pacer = new AdaptivePacer();
    const holds: number[] = [];
    pacer.holdUntil = (time) => void holds.push(time - 1_000_000);
    const paced = new PacedHealthLake(fake, pacer, () => 1_000_000, options);
    await paced.put('Patient', 'p1', '{}', request);
    return holds;
  };

  it('holds the writes as long as HealthLake asks, up to the retry maximum', async () => {
    expect(await holdsAfter(2, undefined)).toEqual([2_000]);
    expect(await holdsAfter(86_400, undefined)).toEqual([300_000]);
    expect(await holdsAfter(86_400, undefined, { maxRetryAfterSeconds: 5 })).toEqual([5_000]);
  });

  it('never holds them past the time limit of the request that was throttled', async () => {
    expect(await holdsAfter(86_400, { timeoutMs: 2_500 })).toEqual([2_500]);
    expect(await holdsAfter(1, { timeoutMs: 2_500 })).toEqual([1_000]);
    expect(await holdsAfter(86_400, { timeoutMs: 2_500 }, { maxRetryAfterSeconds: 0 })).toEqual([]);
  });
});
