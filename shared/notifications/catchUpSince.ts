import type { SourceSubscriptionState } from './types.js';

/**
 * From when a catch-up searches (`_since`): the last point known good, on whichever clock is earlier
 * (the connector's, or the source's when its notification carried a precise time), minus the margin
 * that covers clock skew and notifications still in flight.
 */
export const catchUpSince = (state: SourceSubscriptionState, marginSeconds: number): string => {
  const connector = Date.parse(state.caughtUpAt);
  const source = state.caughtUpSourceAt === undefined ? connector : Date.parse(state.caughtUpSourceAt);
  return new Date(Math.min(connector, source) - marginSeconds * 1000).toISOString();
};
