import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../shared/cache/BoundedCache.js';

describe('Class: BoundedCache', () => {
  it('makes a value once per key and hands it out again', () => {
    const cache = new BoundedCache<string, { key: string }>(4);
    let made = 0;
    const make = (key: string) => () => {
      made += 1;
      return { key };
    };
    const first = cache.getOrCreate('a', make('a'));
    expect(cache.getOrCreate('a', make('a'))).toBe(first);
    expect(made).toBe(1);
  });

  it('holds at most its cap, however many keys it meets', () => {
    const cache = new BoundedCache<number, number>(64);
    for (let key = 0; key < 100_000; key += 1) cache.getOrCreate(key, () => key * 2);
    expect(cache.size).toBe(64);
  });

  it('lets the least recently used entry go first', () => {
    const cache = new BoundedCache<string, string>(2);
    cache.getOrCreate('a', () => 'A');
    cache.getOrCreate('b', () => 'B');
    cache.getOrCreate('a', () => 'not made');
    cache.getOrCreate('c', () => 'C');
    // 'b' went, 'a' (used since) stayed.
    expect(cache.getOrCreate('a', () => 'made again')).toBe('A');
    expect(cache.getOrCreate('b', () => 'made again')).toBe('made again');
  });

  it('refuses a cap below one', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});
