import { describe, expect, it } from 'vitest';
import { HealthLakeClient } from '../../../shared/healthlake/HealthLakeClient.js';
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

  it('hands out the bare client when pacing is off', () => {
    const pool = new HealthLakeClientPool({ credentials, adaptivePacing: false });
    expect(pool.get(endpoint('a'.repeat(32)))).toBeInstanceOf(HealthLakeClient);
    pool.destroy();
  });

  it('builds a new client after destroy', () => {
    const pool = new HealthLakeClientPool({ credentials });
    const before = pool.get(endpoint('a'.repeat(32)));
    pool.destroy();
    expect(pool.get(endpoint('a'.repeat(32)))).not.toBe(before);
    pool.destroy();
  });
});
