import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../../local/standins/healthlake/index.js';
import { FaultInjector, startHealthLakeStandin } from '../../../../local/standins/healthlake/index.js';
import type { SigV4Credentials } from '../../../helpers/sigv4Request.js';
import { sigv4Request } from '../../../helpers/sigv4Request.js';

const patient = (id: string): Patient => ({ resourceType: 'Patient', id, active: true });

const credentialsFor = async (standin: FhirStandin): Promise<SigV4Credentials> => {
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: standin.stsEndpoint,
    credentials: standin.baseCredentials,
  });
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: standin.roleArn,
        RoleSessionName: 'faults',
        ExternalId: standin.externalId,
      }),
    );
    return {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    };
  } finally {
    sts.destroy();
  }
};

describe('FaultInjector', () => {
  it('draws the same fault sequence for the same seed', () => {
    const sequence = (seed: number) => {
      const faults = new FaultInjector({ throttleRate: 0.3, serverErrorRate: 0.2, seed });
      return Array.from(
        { length: 50 },
        () => faults.decide({ method: 'PUT', url: '/', target: 'fhir' }).fault,
      );
    };
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
  });

  it('injects faults close to the configured rates', () => {
    const faults = new FaultInjector({ throttleRate: 0.2, serverErrorRate: 0.1, timeoutRate: 0.05, seed: 3 });
    for (let i = 0; i < 10_000; i += 1) faults.decide({ method: 'PUT', url: '/', target: 'fhir' });
    expect(faults.injected.throttle / 10_000).toBeCloseTo(0.2, 1);
    expect((faults.injected['server-error'] + faults.injected.unavailable) / 10_000).toBeCloseTo(0.1, 1);
    expect(faults.injected.timeout / 10_000).toBeCloseTo(0.05, 1);
  });

  it('rejects rates outside 0..1', () => {
    expect(() => new FaultInjector().set({ throttleRate: 1.5 })).toThrow(RangeError);
  });
});

describe('HealthLake stand-in fault injection', () => {
  let standin: FhirStandin;
  let credentials: SigV4Credentials;

  beforeAll(async () => {
    standin = await startHealthLakeStandin();
    credentials = await credentialsFor(standin);
  });

  afterAll(async () => {
    await standin?.stop();
  });

  const put = (id: string, requestTimeoutMs?: number) =>
    sigv4Request({
      url: `${standin.endpoint}Patient/${id}`,
      method: 'PUT',
      credentials,
      body: patient(id),
      requestTimeoutMs,
    });

  it('fails one resource N times, then accepts it', async () => {
    standin.faults.failNext({ resourceType: 'Patient', id: 'flaky' }, 'throttle', 2);
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await put('flaky')).status);
    expect(statuses).toEqual([429, 429, 201]);
    expect((await put('other')).status).toBe(201);
  });

  it('answers throttling the HealthLake way, with an optional Retry-After', async () => {
    standin.faults.set({ retryAfterSeconds: 2 });
    standin.faults.failNext({ id: 'throttled' }, 'throttle');
    const response = await put('throttled');
    standin.faults.set({ retryAfterSeconds: undefined });
    expect(response.status).toBe(429);
    expect(response.headers['x-amzn-errortype']).toBe('ThrottlingException');
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json<{ issue: { code: string }[] }>().issue[0]?.code).toBe('throttled');
  });

  it('produces 500 and 503 answers', async () => {
    standin.faults.failNext({ id: 'e500' }, 'server-error');
    standin.faults.failNext({ id: 'e503' }, 'unavailable');
    expect((await put('e500')).status).toBe(500);
    expect((await put('e503')).status).toBe(503);
    expect(standin.current('Patient', 'e500')).toBeUndefined();
  });

  it('can reject a write permanently with 400 invalid', async () => {
    standin.faults.failNext({ method: 'PUT', id: 'rejected' }, 'invalid');
    const response = await put('rejected');
    expect(response.status).toBe(400);
    expect(response.json<{ issue: { code: string }[] }>().issue[0]?.code).toBe('invalid');
  });

  it('leaves a timed-out request unanswered until the client gives up', async () => {
    standin.faults.failNext({ id: 'hang' }, 'timeout');
    await expect(put('hang', 300)).rejects.toThrow();
    const recorded = standin.requests.find((request) => request.id === 'hang');
    expect(recorded).toMatchObject({ fault: 'timeout', status: 0 });
    expect((await put('hang')).status).toBe(201);
  });

  it('delays answers when slow responses are configured', async () => {
    standin.faults.set({ slowRate: 1, slowMs: 150 });
    const started = Date.now();
    const response = await put('slow');
    standin.faults.set({ slowRate: 0 });
    expect(response.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('injects random faults at the configured rates, reproducibly for a seed', async () => {
    const run = async () => {
      standin.faults.set({ throttleRate: 0.25, serverErrorRate: 0.25, seed: 11 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i += 1) statuses.push((await put(`rand-${i}`)).status);
      standin.faults.reset();
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second.map((status) => (status === 200 ? 201 : status))).toEqual(first);
    const throttled = first.filter((status) => status === 429).length;
    const failed = first.filter((status) => status >= 500).length;
    expect(throttled).toBeGreaterThan(3);
    expect(failed).toBeGreaterThan(3);
    expect(throttled + failed).toBeLessThan(36);
  });
});

describe('FaultInjector: latency model and write quota', () => {
  const write = { method: 'PUT', url: '/Patient/1', target: 'fhir' } as const;
  const read = { method: 'GET', url: '/Patient/1', target: 'fhir' } as const;

  it('answers 429 to writes beyond one second of quota, refills with time, and never limits reads', () => {
    let now = 0;
    const faults = new FaultInjector({ writesPerSecond: 10 }, () => now);
    const first = Array.from({ length: 12 }, () => faults.decide(write).fault);
    expect(first.filter((fault) => fault === undefined)).toHaveLength(10);
    expect(first.slice(10)).toEqual(['throttle', 'throttle']);
    expect(faults.decide(read).fault).toBeUndefined();
    now += 100; // a tenth of a second: one more write
    expect(faults.decide(write).fault).toBeUndefined();
    expect(faults.decide(write).fault).toBe('throttle');
    now += 60_000; // the bucket holds one second, not a minute
    const later = Array.from({ length: 11 }, () => faults.decide(write).fault);
    expect(later.filter((fault) => fault === undefined)).toHaveLength(10);
    expect(faults.quotaThrottled).toBe(4);
    expect(faults.injected.throttle).toBe(4);
  });

  it('draws service times with the configured median and 99th percentile, reproducibly', () => {
    const draws = (seed: number) => {
      const faults = new FaultInjector({ latency: { p50Ms: 80, p99Ms: 400 }, seed });
      return Array.from({ length: 20_000 }, () => faults.decide(read).delayMs).sort((a, b) => a - b);
    };
    const times = draws(5);
    expect(times[10_000]).toBeGreaterThan(76);
    expect(times[10_000]).toBeLessThan(84);
    expect(times[19_800]).toBeGreaterThan(360);
    expect(times[19_800]).toBeLessThan(440);
    expect(times[0]).toBeGreaterThan(0);
    expect(draws(5)).toEqual(times);
  });

  it('rejects a latency model or quota that cannot be honoured', () => {
    const faults = new FaultInjector();
    expect(() => faults.set({ latency: { p50Ms: 100, p99Ms: 50 } })).toThrow(RangeError);
    expect(() => faults.set({ writesPerSecond: 0 })).toThrow(RangeError);
  });
});
