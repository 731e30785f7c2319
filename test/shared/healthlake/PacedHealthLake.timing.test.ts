import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptivePacer } from '../../../shared/healthlake/AdaptivePacer.js';
import { PacedHealthLake } from '../../../shared/healthlake/PacedHealthLake.js';
import type { HealthLakeApi, HealthLakeResponse, RequestOptions } from '../../../shared/healthlake/types.js';

// How PacedHealthLake spaces writes and Bundles on a fake clock: what reaches the client, when, and
// with which time limit.

interface Sent {
  readonly method: 'PUT' | 'DELETE' | 'POST';
  readonly at: number;
  readonly options: RequestOptions | undefined;
}

/** A client that records each call with the (fake) time it was made, answering what `next` says. */
const recordingClient = () => {
  const sent: Sent[] = [];
  let next: () => HealthLakeResponse = () => ({ status: 200, latencyMs: 1 });
  const record = (method: Sent['method'], options: RequestOptions | undefined) => {
    sent.push({ method, at: Date.now(), options });
    return Promise.resolve(next());
  };
  const client: HealthLakeApi = {
    put: (_type, _id, _body, options) => record('PUT', options),
    delete: (_type, _id, options) => record('DELETE', options),
    transaction: (_body, options) => record('POST', options),
  };
  return { sent, client, answer: (respond: () => HealthLakeResponse) => (next = respond) };
};

const START = 1_000_000;

describe('Class: PacedHealthLake (on a fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one transaction Bundle a second by default', async () => {
    const { sent, client } = recordingClient();
    const paced = new PacedHealthLake(client);
    const bundles = Promise.all([paced.transaction('{}'), paced.transaction('{}'), paced.transaction('{}')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((call) => call.at - START)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(2_000);
    await bundles;
    expect(sent.map((call) => call.at - START)).toEqual([0, 1_000, 2_000]);
  });

  it('refuses a transaction when the client cannot send Bundles', () => {
    const client: HealthLakeApi = {
      put: async () => ({ status: 200, latencyMs: 1 }),
      delete: async () => ({ status: 204, latencyMs: 1 }),
    };
    expect(() => new PacedHealthLake(client).transaction('{}')).toThrow(
      'This HealthLake client cannot send transaction Bundles',
    );
  });

  it('holds every write for the Retry-After of a 429, and counts the wait against the time limit', async () => {
    const { sent, client, answer } = recordingClient();
    const paced = new PacedHealthLake(client);
    answer(() => ({ status: 429, latencyMs: 1, retryAfterSeconds: 2 }));
    await paced.put('Patient', 'p1', '{}');
    answer(() => ({ status: 200, latencyMs: 1 }));
    const held = paced.delete('Patient', 'p1', { timeoutMs: 5_000 });
    const late = paced.put('Patient', 'p2', '{}', { timeoutMs: 1_500 });
    const untimed = paced.put('Patient', 'p3', '{}');
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all([held, late, untimed]);
    expect(sent).toEqual([
      { method: 'PUT', at: START, options: undefined },
      { method: 'DELETE', at: START + 2_000, options: { timeoutMs: 3_000 } },
      // A time limit already used up by the wait still leaves the request 1 ms.
      { method: 'PUT', at: START + 2_000, options: { timeoutMs: 1 } },
      { method: 'PUT', at: START + 2_000, options: undefined },
    ]);
  });

  it('does not hold writes for a Retry-After on a success', async () => {
    const { sent, client, answer } = recordingClient();
    const paced = new PacedHealthLake(client);
    answer(() => ({ status: 200, latencyMs: 1, retryAfterSeconds: 5 }));
    await paced.put('Patient', 'p1', '{}');
    await paced.put('Patient', 'p2', '{}');
    expect(sent.map((call) => call.at - START)).toEqual([0, 0]);
  });

  it('paces writes after a 429 without Retry-After', async () => {
    const { sent, client, answer } = recordingClient();
    const pacer = new AdaptivePacer({ minThrottles: 1, minThrottleShare: 0 });
    const paced = new PacedHealthLake(client, pacer);
    answer(() => ({ status: 429, latencyMs: 1 }));
    await paced.put('Patient', 'p1', '{}');
    answer(() => ({ status: 200, latencyMs: 1 }));
    // One write was sent in the last second: the rate falls to the 10 writes/s floor.
    expect(pacer.currentRate).toBe(10);
    const writes = Promise.all([paced.put('Patient', 'p2', '{}'), paced.put('Patient', 'p3', '{}')]);
    await vi.advanceTimersByTimeAsync(1_000);
    await writes;
    expect(sent.map((call) => call.at - START)).toEqual([0, 0, 100]);
  });

  it('sends PUT and DELETE straight through when adaptive pacing is off, ignoring a Retry-After', async () => {
    const { sent, client, answer } = recordingClient();
    const paced = new PacedHealthLake(client, new AdaptivePacer(), Date.now, { adaptive: false });
    answer(() => ({ status: 429, latencyMs: 1, retryAfterSeconds: 5 }));
    await paced.put('Patient', 'p1', '{}', { timeoutMs: 1_000 });
    await paced.delete('Patient', 'p1', { timeoutMs: 1_000 });
    await paced.put('Patient', 'p2', '{}');
    expect(sent).toEqual([
      { method: 'PUT', at: START, options: { timeoutMs: 1_000 } },
      { method: 'DELETE', at: START, options: { timeoutMs: 1_000 } },
      { method: 'PUT', at: START, options: undefined },
    ]);
  });

  it('slows Bundles down after a single 429', async () => {
    const { sent, client, answer } = recordingClient();
    const paced = new PacedHealthLake(client, new AdaptivePacer(), Date.now, { bundleRequestsPerSecond: 0 });
    answer(() => ({ status: 429, latencyMs: 1 }));
    await paced.transaction('{}');
    answer(() => ({ status: 200, latencyMs: 1 }));
    const bundles = Promise.all([paced.transaction('{}'), paced.transaction('{}')]);
    await vi.advanceTimersByTimeAsync(10_000);
    await bundles;
    // One Bundle sent in the last second, refused: the next ones go at 70 % of that, 0.7/s.
    expect(sent.map((call) => call.at - START)).toEqual([0, 0, Math.floor(1_000 / 0.7)]);
  });
});
