/**
 * A cache of at most `maxEntries` values, for what a long-lived Lambda instance derives from input it
 * keeps seeing (compiled patterns, compiled criteria, clients per endpoint): the least recently used
 * entry goes when a new one would pass the cap, so however many distinct keys an instance meets in its
 * life, it holds at most `maxEntries`.
 *
 * @example
 * const compiled = new BoundedCache<string, RegExp>(64);
 * const pattern = compiled.getOrCreate(source, () => new RegExp(source));
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  public constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('A bounded cache holds at least one entry');
  }

  /** The value of `key`, made by `make` (and kept) when absent. */
  public getOrCreate(key: K, make: () => V): V {
    const entries = this.entries;
    if (entries.has(key)) {
      const value = entries.get(key) as V;
      // Map order is insertion order: re-inserting marks the entry most recently used.
      entries.delete(key);
      entries.set(key, value);
      return value;
    }
    const value = make();
    if (entries.size >= this.maxEntries) entries.delete(entries.keys().next().value as K);
    entries.set(key, value);
    return value;
  }

  /** Entries held: never more than `maxEntries`. */
  public get size(): number {
    return this.entries.size;
  }
}
