import { addCounts } from './stateUpdates.js';
import type { SourceSubscriptionStore } from './SourceSubscriptionStore.js';
import type { SourceSubscriptionState } from './types.js';

/** SourceSubscriptionStore in memory, with the DynamoDB store's conditional semantics (tests, local tools). */
export class InMemorySourceSubscriptionStore implements SourceSubscriptionStore {
  private readonly states = new Map<string, SourceSubscriptionState>();

  public async get(subscriptionId: string): Promise<SourceSubscriptionState | undefined> {
    const state = this.states.get(subscriptionId);
    return state ? structuredClone(state) : undefined;
  }

  public async list(): Promise<SourceSubscriptionState[]> {
    return [...this.states.values()]
      .sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1))
      .map((state) => structuredClone(state));
  }

  public async create(state: SourceSubscriptionState): Promise<boolean> {
    if (this.states.has(state.subscriptionId)) return false;
    this.states.set(state.subscriptionId, structuredClone(state));
    return true;
  }

  public async replace(state: SourceSubscriptionState, expectedRevision: number): Promise<boolean> {
    const stored = this.states.get(state.subscriptionId);
    if (stored?.revision !== expectedRevision) return false;
    // gapsRepaired is addRepaired's alone, as in the DynamoDB store.
    const counts = { ...state.counts, gapsRepaired: stored.counts.gapsRepaired };
    this.states.set(
      state.subscriptionId,
      structuredClone({ ...state, counts, revision: expectedRevision + 1 }),
    );
    return true;
  }

  public async addRepaired(subscriptionId: string, gaps: number): Promise<void> {
    const state = this.states.get(subscriptionId);
    if (!state) return;
    this.states.set(subscriptionId, { ...state, counts: addCounts(state.counts, { gapsRepaired: gaps }) });
  }
}
