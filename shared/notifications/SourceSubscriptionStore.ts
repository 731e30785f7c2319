import type { SourceSubscriptionState } from './types.js';

/**
 * Persistence of the state of each source Subscription. Every change is conditional on the revision
 * read, so two notifications processed at once can never both advance the counter, nor one of them
 * lose the gap the other found: the loser re-reads and decides again.
 */
export interface SourceSubscriptionStore {
  get(subscriptionId: string): Promise<SourceSubscriptionState | undefined>;
  /** Every source subscription known (for the heartbeat check and `hlc status`). */
  list(): Promise<SourceSubscriptionState[]>;
  /** Stores a new source subscription; false (and nothing changed) when one with that id exists. */
  create(state: SourceSubscriptionState): Promise<boolean>;
  /**
   * Replaces the state while its stored revision is still `expectedRevision`, writing revision
   * `expectedRevision + 1`; `counts.gapsRepaired` keeps its stored value. False when another writer
   * got there first (or the id is unknown).
   */
  replace(state: SourceSubscriptionState, expectedRevision: number): Promise<boolean>;
  /** Counts gaps a finished catch-up repaired (the only writer of `gapsRepaired`; no revision change). */
  addRepaired(subscriptionId: string, gaps: number): Promise<void>;
}
