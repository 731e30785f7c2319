import type { SourceSubscriptionStore } from '../notifications/SourceSubscriptionStore.js';
import type { NotificationDecision, SourceSubscriptionState } from '../notifications/types.js';
import { updateSourceState } from '../notifications/updateSourceState.js';
import type { Applied } from './applyDecision.js';
import { ensureSourceState, withConfig } from './ensureSourceState.js';
import type { NotificationSource } from './types.js';

/** The bookkeeping settings both the route and the heartbeat check pass on, only those set. */
export const bookkeepingOptions = (deps: {
  readonly catchUpMarginSeconds?: number;
  readonly gapGraceSeconds?: number;
}): { catchUpMarginSeconds?: number; gapGraceSeconds?: number } => ({
  ...(deps.catchUpMarginSeconds === undefined ? {} : { catchUpMarginSeconds: deps.catchUpMarginSeconds }),
  ...(deps.gapGraceSeconds === undefined ? {} : { gapGraceSeconds: deps.gapGraceSeconds }),
});

/**
 * Makes sure the source Subscription has a state, then decides on it (with what configuration says of
 * the source), carries the decision out, and stores it conditionally (updateSourceState): a failure
 * leaves the state as it was. Returns the stored decision and what carrying it out did.
 *
 * @example
 * const { decision, applied } = await decideForSource(states, source, now, decide, carryOut);
 */
export const decideForSource = async (
  states: SourceSubscriptionStore,
  source: NotificationSource,
  now: string,
  decide: (state: SourceSubscriptionState) => NotificationDecision,
  carryOut: (decision: NotificationDecision) => Promise<Applied>,
): Promise<{ decision: NotificationDecision | undefined; applied: Applied }> => {
  await ensureSourceState(states, source, now);
  let applied: Applied = { written: 0, reconcileJobs: [] };
  const decision = await updateSourceState(
    states,
    source.subscription,
    (state) => decide(withConfig(state, source)),
    {
      apply: async (candidate) => {
        applied = await carryOut(candidate);
      },
    },
  );
  return { decision, applied };
};
