// Limits shared with the delivery message schema, kept apart from the compiler so that importing them
// does not bundle the criteria engine and its search parameter table into the deliverer.

/** The longest query sent to the source server for criteria it evaluates (as payload search criteria). */
export const MAX_SOURCE_QUERY_LENGTH = 2048;
/**
 * The most active Subscriptions whose criteria the source evaluates: a delivery message carries the
 * criteria of every such Subscription a write may match on one data store, so their number is bounded.
 */
export const MAX_SOURCE_EVALUATED_SUBSCRIPTIONS = 100;
