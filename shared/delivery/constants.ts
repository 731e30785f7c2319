/**
 * Deliverer tunables beyond the shared ENV names (shared/config/constants.ts). All optional.
 */
export const DELIVERER_ENV = {
  /** Connect timeout of HealthLake requests, ms (default 10000). */
  connectTimeoutMs: 'HEALTHLAKE_CONNECT_TIMEOUT_MS',
  /** Idle timeout while waiting for HealthLake's answer, ms (default 10000). */
  responseTimeoutMs: 'HEALTHLAKE_RESPONSE_TIMEOUT_MS',
  /** Keep-alive sockets per HealthLake endpoint (default 50). */
  maxSockets: 'HEALTHLAKE_MAX_SOCKETS',
  /** First retry delay of a transient failure, seconds (default 2). */
  retryBaseSeconds: 'DELIVERY_RETRY_BASE_SECONDS',
  /** Largest retry delay, seconds (default 300). */
  retryMaxSeconds: 'DELIVERY_RETRY_MAX_SECONDS',
  /** Retry timing: `exponential` (with jitter, default) or `fixed`. */
  retryStrategy: 'DELIVERY_RETRY_STRATEGY',
} as const;

/** CloudWatch namespace of the connector's metrics. */
export const METRICS_NAMESPACE = 'HealthLakeConnector';

/** Metric names the deliverer emits (EMF). */
export const DELIVERY_METRICS = {
  delivered: 'Delivered',
  deleted: 'Deleted',
  droppedNotSupported: 'DroppedNotSupported',
  skippedStale: 'SkippedStale',
  retried: 'Retried',
  deadLettered: 'DeadLettered',
  deliveryLatency: 'DeliveryLatency',
  healthLakeLatency: 'HealthLakeLatency',
} as const;

/** Default retry count (subscription-delivery-retry-count) when neither message nor env sets one. */
export const DEFAULT_DELIVERY_RETRY_COUNT = 4;
