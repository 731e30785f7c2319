import type { SourceSubscriptionState } from './types.js';

/**
 * The state of a source Subscription the connector has just been told about: nothing heard yet, so
 * the first notification sets the event baseline, and a catch-up would start at registration.
 *
 * @example
 * await store.create(newSourceState({ subscriptionId: 'admissions', resourceTypes: ['Encounter'], now }));
 */
export const newSourceState = (options: {
  readonly subscriptionId: string;
  readonly resourceTypes: readonly string[];
  readonly now: string;
  readonly heartbeatPeriodSeconds?: number;
  readonly topic?: string;
}): SourceSubscriptionState => ({
  subscriptionId: options.subscriptionId,
  resourceTypes: [...options.resourceTypes],
  ...(options.topic === undefined ? {} : { topic: options.topic }),
  ...(options.heartbeatPeriodSeconds === undefined
    ? {}
    : { heartbeatPeriodSeconds: options.heartbeatPeriodSeconds }),
  caughtUpAt: options.now,
  registeredAt: options.now,
  counts: {
    gapsFound: 0,
    eventsMissed: 0,
    gapsRepaired: 0,
    heartbeatsMissed: 0,
    errorStatuses: 0,
    counterResets: 0,
  },
  revision: 0,
});
