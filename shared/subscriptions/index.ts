export { ActiveSubscriptionCache, DEFAULT_SUBSCRIPTION_CACHE_TTL_MS } from './ActiveSubscriptionCache.js';
export type { ActiveSubscriptionCacheOptions, MatchOptions } from './ActiveSubscriptionCache.js';
export { MAX_DELIVERY_RETRY_COUNT, readChannelExtensions } from './channelExtensions.js';
export type { ChannelSettings } from './channelExtensions.js';
export { DynamoSubscriptionStore } from './DynamoSubscriptionStore.js';
export { allowedEndpoint, normalizeEndpoint, parseAllowedEndpoints } from './endpoints.js';
export { autoManagedSubscriptionId, ensureAutoManagedSubscription } from './ensureAutoManagedSubscription.js';
export type { AutoManagedSubscriptionOptions } from './ensureAutoManagedSubscription.js';
export { handleSubscriptionRequest } from './handleSubscriptionRequest.js';
export { SUBSCRIPTION_DEFAULTS } from './constants.js';
export type { SubscriptionRouteDeps } from './handleSubscriptionRequest.js';
export { InMemorySubscriptionStore } from './InMemorySubscriptionStore.js';
export { mergeTargets } from './mergeTargets.js';
export { parseSubscription } from './parseSubscription.js';
export type { ParsedSubscription, ParseSubscriptionContext } from './parseSubscription.js';
export { presentSubscription } from './presentSubscription.js';
export type {
  DeleteResult,
  SaveCondition,
  SaveOptions,
  SaveResult,
  StoredSubscription,
  SubscriptionRecord,
  SubscriptionStore,
} from './SubscriptionStore.js';
export { revalidateSubscriptions } from './revalidateSubscriptions.js';
export type { RevalidateChange, RevalidateOptions } from './revalidateSubscriptions.js';
export { toActiveSubscription } from './toActiveSubscription.js';
export { SUBSCRIPTION_STATUS } from './types.js';
export type { ActiveSubscription, DeliveryTarget, SubscriptionLogger, SubscriptionStatus } from './types.js';
