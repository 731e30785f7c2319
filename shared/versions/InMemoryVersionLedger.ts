import { type UnversionedWrite } from './VersionLedger.js';
import { nextAssignedVersion } from './nextAssignedVersion.js';
import { sourceVersionDecision } from './sourceVersionDecision.js';
import type { LedgerEntry, RecordResult, SourceVersionGuard, VersionLedger } from './VersionLedger.js';

/**
 * A VersionLedger in process memory, with the same semantics as the DynamoDB one.
 * For unit tests and benchmarks; not durable.
 */
export class InMemoryVersionLedger implements VersionLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  /** Stale writes counted against each key's latest version. */
  private readonly staleWrites = new Map<string, number>();

  public async getLatest(keys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) found.set(key, entry);
    }
    return found;
  }

  public async recordSourceVersion(
    key: string,
    entry: LedgerEntry,
    guard?: SourceVersionGuard,
  ): Promise<RecordResult> {
    const decided = sourceVersionDecision(this.entries.get(key), entry, guard);
    if (decided?.status === 'stale' && guard?.countStale) {
      const staleWrites = (this.staleWrites.get(key) ?? 0) + 1;
      this.staleWrites.set(key, staleWrites);
      return { ...decided, staleWrites };
    }
    if (decided) return decided;
    this.set(key, entry);
    return { status: 'recorded', latest: entry };
  }

  /** Records `entry` as the latest; a new latest version starts with no stale writes. */
  private set(key: string, entry: LedgerEntry): void {
    this.entries.set(key, entry);
    this.staleWrites.delete(key);
  }

  /** Forgets the entries whose `Type/id` key matches; returns how many. */
  public forget(matches: (key: string) => boolean): number {
    let removed = 0;
    for (const key of [...this.entries.keys()]) {
      if (!matches(key)) continue;
      this.staleWrites.delete(key);
      if (this.entries.delete(key)) removed += 1;
    }
    return removed;
  }

  public async assignNextVersion(key: string, write: UnversionedWrite): Promise<RecordResult> {
    const decision = nextAssignedVersion(this.entries.get(key), write);
    if ('repeat' in decision) return decision.repeat;
    this.set(key, decision.next);
    return { status: 'recorded', latest: decision.next };
  }

  public async resetTo(key: string, entry: LedgerEntry, expected: LedgerEntry): Promise<boolean> {
    const latest = this.entries.get(key);
    if (latest?.versionId !== expected.versionId || latest.lastUpdated !== expected.lastUpdated) return false;
    this.set(key, entry);
    return true;
  }
}
