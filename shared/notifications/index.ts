export * from './constants.js';
export { NotificationError, SourceStateContendedError } from './errors.js';
export { catchUpSince } from './catchUpSince.js';
export { decideHeartbeatCheck, heartbeatDeadline, isHeartbeatOverdue } from './decideHeartbeatCheck.js';
export type { HeartbeatCheckOptions } from './decideHeartbeatCheck.js';
export { decideNotification } from './decideNotification.js';
export type { DecideOptions } from './decideNotification.js';
export { DynamoSourceSubscriptionStore } from './DynamoSourceSubscriptionStore.js';
export { missingRanges, rangeSize } from './eventRanges.js';
export { heartbeatPeriodOf } from './heartbeatPeriodOf.js';
export { InMemorySourceSubscriptionStore } from './InMemorySourceSubscriptionStore.js';
export { newSourceState } from './newSourceState.js';
export { parseEventTime } from './parseEventTime.js';
export { parseNotificationBundle } from './parseNotificationBundle.js';
export type { NotificationParseResult } from './parseNotificationBundle.js';
export { normalizeOrigins, parseResourceReference } from './parseResourceReference.js';
export type { ParsedReference, ReferenceProblem, ReferenceRules } from './parseResourceReference.js';
export { parseStatusParameters } from './parseStatusParameters.js';
export type { SubscriptionStatusInfo } from './parseStatusParameters.js';
export type { SourceSubscriptionStore } from './SourceSubscriptionStore.js';
export { SOURCE_SUBSCRIPTION_PARTITION, sourceSubscriptionKey } from './tableKeys.js';
export type {
  BackportNotification,
  CatchUpReason,
  Disposition,
  EntryAction,
  EntryMethod,
  EventRange,
  EventTime,
  NotificationAction,
  NotificationDecision,
  NotificationEntry,
  NotificationEvent,
  NotificationType,
  PayloadContent,
  ResourceRef,
  SourceSubscriptionCounts,
  SourceSubscriptionState,
  SubscriptionStatusCode,
} from './types.js';
export { updateSourceState } from './updateSourceState.js';
export type { UpdateOptions } from './updateSourceState.js';
