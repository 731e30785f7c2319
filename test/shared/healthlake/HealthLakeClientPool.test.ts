import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
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

  it('closes the connections of every client when destroyed', async () => {
    const open = new Set<Socket>();
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new HealthLakeClientPool({ credentials, region: 'us-east-1' });
    await pool.get(`${base}/datastore/a/r4/`).put('Patient', 'p1', '{}');
    await pool.get(`${base}/datastore/b/r4/`).put('Patient', 'p1', '{}');
    expect(open.size).toBe(2);
    pool.destroy();
    await expect.poll(() => open.size, { timeout: 5_000 }).toBe(0);
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes the Bundle rate on: 0 sends transaction Bundles unthrottled', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // With the clock stopped, a rate-limited bucket would never refill: only an unlimited one sends both.
    vi.useFakeTimers({ toFake: ['Date'] });
    const pool = new HealthLakeClientPool({ credentials, region: 'us-east-1', bundleRequestsPerSecond: 0 });
    try {
      const api = pool.get(`${base}/datastore/a/r4/`);
      const answers = await Promise.all([api.transaction!('{}'), api.transaction!('{}')]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    } finally {
      vi.useRealTimers();
      pool.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
