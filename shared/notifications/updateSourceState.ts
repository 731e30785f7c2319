import { setTimeout as sleep } from 'node:timers/promises';
import { NOTIFICATION_DEFAULTS } from './constants.js';
import { SourceStateContendedError } from './errors.js';
import type { SourceSubscriptionStore } from './SourceSubscriptionStore.js';
import type { NotificationDecision, SourceSubscriptionState } from './types.js';

export interface UpdateOptions {
  /**
   * Carries out a decision before it is stored, so a failure leaves the state as it was and the
   * sender's retry decides the same again. Runs once per attempt: its effects must be safe to repeat.
   */
  readonly apply?: (decision: NotificationDecision) => Promise<void>;
  readonly maxAttempts?: number;
  /** Upper bound of the random pause before attempt n, times n: concurrent losers spread out. */
  readonly backoffMs?: number;
}

/**
 * Reads a source subscription's state, decides, applies the decision (options.apply), and writes it
 * conditionally on the revision read; when another writer got there first, pauses a random moment,
 * then reads and decides again. Undefined for an unknown source subscription. Returns the decision that was stored (or that
 * changed nothing).
 *
 * @example
 * const decision = await updateSourceState(store, notification.subscriptionId, (state) =>
 *   decideNotification(state, notification, { now }),
 * );
 */
export const updateSourceState = async (
  store: SourceSubscriptionStore,
  subscriptionId: string,
  decide: (state: SourceSubscriptionState) => NotificationDecision,
  options: UpdateOptions = {},
): Promise<NotificationDecision | undefined> => {
  const maxAttempts = options.maxAttempts ?? NOTIFICATION_DEFAULTS.maxUpdateAttempts;
  const backoffMs = options.backoffMs ?? NOTIFICATION_DEFAULTS.updateBackoffMs;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (attempt > 1) await sleep(Math.random() * backoffMs * attempt);
    const state = await store.get(subscriptionId);
    if (!state) return undefined;
    const decision = decide(state);
    await options.apply?.(decision);
    if (!decision.changed || (await store.replace(decision.state, state.revision))) return decision;
  }
  throw new SourceStateContendedError(subscriptionId, maxAttempts);
};
