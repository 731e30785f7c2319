import { newSourceState } from '../notifications/newSourceState.js';
import type { SourceSubscriptionStore } from '../notifications/SourceSubscriptionStore.js';
import type { SourceSubscriptionState } from '../notifications/types.js';
import type { NotificationSource } from './types.js';

/** The state with what configuration says of the source: configuration wins over what was stored. */
export const withConfig = (
  state: SourceSubscriptionState,
  source: NotificationSource,
): SourceSubscriptionState => ({
  ...state,
  resourceTypes: [...source.resourceTypes],
  ...(source.heartbeatPeriodSeconds === undefined
    ? {}
    : { heartbeatPeriodSeconds: source.heartbeatPeriodSeconds }),
});

/**
 * Makes sure the store holds a state for a configured source Subscription (the first notification,
 * or the first heartbeat check, after it was configured creates it). Safe to race: `create` is
 * conditional and a loser finds the winner's state.
 */
export const ensureSourceState = async (
  states: SourceSubscriptionStore,
  source: NotificationSource,
  now: string,
): Promise<void> => {
  if (await states.get(source.subscription)) return;
  await states.create(
    newSourceState({
      subscriptionId: source.subscription,
      resourceTypes: source.resourceTypes,
      now,
      ...(source.heartbeatPeriodSeconds === undefined
        ? {}
        : { heartbeatPeriodSeconds: source.heartbeatPeriodSeconds }),
    }),
  );
};
