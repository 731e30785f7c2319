export { classifyResponse, isStaleCredentialResponse } from './classifyResponse.js';
export { delivererConfigFromEnv, type DelivererConfig } from './config.js';
export {
  DEFAULT_DELIVERY_RETRY_COUNT,
  DELIVERER_ENV,
  DELIVERY_METRICS,
  METRICS_NAMESPACE,
} from './constants.js';
export {
  DEAD_LETTER_CAUSE_ATTRIBUTE,
  DEAD_LETTER_KIND_ATTRIBUTE,
  DeadLetterKind,
  deadLetterInput,
  readDeadLetterCause,
  type DeadLetterCause,
} from './deadLetter.js';
export {
  InMemoryDeliveredVersions,
  targetKey,
  type DeliveredVersion,
  type DeliveredVersions,
  type DeliveryTarget,
} from './DeliveredVersions.js';
export {
  startBatchDelivery,
  type BatchDelivery,
  type BatchDeliveryConfig,
  type BatchDeliveryDeps,
} from './deliverBatch.js';
export { deliverMessage, type DeliverMessageDeps, type DeliveryContext } from './deliverMessage.js';
export { DynamoDeliveredVersions } from './DynamoDeliveredVersions.js';
export { DeliveryError, PayloadError, RecordFailedError } from './errors.js';
export { loadPayload } from './loadPayload.js';
export { retryDelaySeconds, type BackoffOptions } from './retryDelay.js';
export { stripVersionIds } from './stripVersionIds.js';
export {
  Disposition,
  FailureReason,
  type DeliveryOutcome,
  type DeliveryOutcomeKind,
  type DeliveryTelemetry,
  type FailureCause,
  type MessageSummary,
  type RecordSettlement,
} from './types.js';
