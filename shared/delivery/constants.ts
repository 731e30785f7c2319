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
  /** Pace each data store's writes after HealthLake answers 429 (default true). */
  adaptivePacing: 'HEALTHLAKE_ADAPTIVE_PACING',
  /** First retry delay of a transient failure, seconds (default 2). */
  retryBaseSeconds: 'DELIVERY_RETRY_BASE_SECONDS',
  /** Largest retry delay, seconds (default 300). */
  retryMaxSeconds: 'DELIVERY_RETRY_MAX_SECONDS',
  /** First retry delay of an access-denied failure, seconds (default 60). */
  accessDeniedBaseSeconds: 'DELIVERY_ACCESS_DENIED_BASE_SECONDS',
  /** Largest retry delay of an access-denied failure, seconds (default 900). */
  accessDeniedMaxSeconds: 'DELIVERY_ACCESS_DENIED_MAX_SECONDS',
  /** Time kept free at the end of an invocation for settling its records, ms (default 3000). */
  settleReserveMs: 'DELIVERY_SETTLE_RESERVE_MS',
  /** Visibility delay of records left unstarted at the time limit, seconds (default 1). */
  deferDelaySeconds: 'DELIVERY_DEFER_DELAY_SECONDS',
  /** Retry timing: `exponential` (with jitter, default) or `fixed`. */
  retryStrategy: 'DELIVERY_RETRY_STRATEGY',
} as const;

/** CloudWatch namespace of the connector's metrics. */
export const METRICS_NAMESPACE = 'HealthLakeConnector';

/**
 * Dimension every connector metric carries (a Powertools default dimension, the connector id), so two
 * connectors in one account and region never mix their metrics; alarms and the dashboard filter on it.
 */
export const CONNECTOR_DIMENSION = 'connector';

/** Metric names the deliverer emits (EMF). */
export const DELIVERY_METRICS = {
  delivered: 'Delivered',
  deleted: 'Deleted',
  droppedNotSupported: 'DroppedNotSupported',
  skippedStale: 'SkippedStale',
  /** Not sent by the Subscription's choice: its source-evaluated criteria did not match, or its transform returned nothing. */
  filtered: 'Filtered',
  retried: 'Retried',
  deadLettered: 'DeadLettered',
  deliveryLatency: 'DeliveryLatency',
  healthLakeLatency: 'HealthLakeLatency',
  /** STS refused the customer role or HealthLake answered 401/403 (a configuration fault). */
  accessDenied: 'AccessDenied',
  /** HealthLake answered 429 (also counted per data store). */
  throttled: 'Throttled',
  /** Not tried while its data store rests after failing (no attempt spent; see DataStoreHealth). */
  deferred: 'Deferred',
} as const;

/**
 * Dimension of the per-data-store counts (value: `dataStoreLabel(endpoint)`), next to the connector
 * dimension: one data store's bad day shows apart from the others'.
 */
export const DATA_STORE_DIMENSION = 'DataStore';

/** The deliverer's counts emitted per data store as well (metric names of DELIVERY_METRICS). */
export const DATA_STORE_METRICS = [
  DELIVERY_METRICS.delivered,
  DELIVERY_METRICS.throttled,
  DELIVERY_METRICS.accessDenied,
] as const;

/**
 * Backoff of access-denied failures: a wrong role, trust policy, ExternalId or key policy is fixed by
 * a person, so messages wait minutes, not seconds (1, 2, 4, 8, 15, 15... minutes) before retries run out.
 */
export const ACCESS_DENIED_BACKOFF = { baseSeconds: 60, maxSeconds: 900 } as const;

/**
 * The deployment's default retry count (`delivery.retryCount`, DELIVERY_RETRY_COUNT): retries after the
 * first attempt, and the most a Subscription's subscription-delivery-retry-count gets. 20, so that seed
 * 003's Smile HealthLake Subscription (20 retries) is honoured as written.
 */
export const DEFAULT_DELIVERY_RETRY_COUNT = 20;

/**
 * The delivery queue's redrive limit (maxReceiveCount): SQS's maximum, a backstop only. Retries are
 * counted per message by the deliverer (DeliveryAttempts), which dead-letters with the cause; receives
 * also climb while a record is held back or deferred (its data store resting), and at the longest
 * deferral (the retry maximum, 300 s by default) 1000 receives last about 3 days. What the backstop still
 * catches: a message that crashes every invocation it is in.
 */
export const DELIVERY_REDRIVE_BACKSTOP = 1000;
