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
