import { describe, expect, it } from 'vitest';
import { HealthLakeClientPool } from '../../../shared/healthlake/HealthLakeClientPool.js';
import { PacedHealthLake } from '../../../shared/healthlake/PacedHealthLake.js';

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
const endpoint = (id: string) => `https://healthlake.us-east-1.amazonaws.com/datastore/${id}/r4/`;

describe('HealthLakeClientPool', () => {
  it('keeps one paced client per data store', () => {
    const pool = new HealthLakeClientPool({ credentials });
    const first = pool.get(endpoint('a'.repeat(32)));
    expect(first).toBeInstanceOf(PacedHealthLake);
    expect(pool.get(endpoint('a'.repeat(32)))).toBe(first);
    expect(pool.get(endpoint('b'.repeat(32)))).not.toBe(first);
    pool.destroy();
  });

  it('with pacing off, paces only transaction Bundles (their rate is a HealthLake quota), not PUT and DELETE', () => {
    const off = new HealthLakeClientPool({ credentials, adaptivePacing: false });
    const on = new HealthLakeClientPool({ credentials });
    const api = off.get(endpoint('a'.repeat(32)));
    expect(api).toBeInstanceOf(PacedHealthLake);
    expect((api as PacedHealthLake).adaptive).toBe(false);
    expect((on.get(endpoint('a'.repeat(32))) as PacedHealthLake).adaptive).toBe(true);
    off.destroy();
    on.destroy();
  });

  it('builds a new client after destroy', () => {
    const pool = new HealthLakeClientPool({ credentials });
    const before = pool.get(endpoint('a'.repeat(32)));
    pool.destroy();
    expect(pool.get(endpoint('a'.repeat(32)))).not.toBe(before);
    pool.destroy();
  });
});
