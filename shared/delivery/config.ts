import { ENV } from '../config/constants.js';
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from '../config/env.js';
import type { RoleTarget } from '../healthlake/CredentialCache.js';
import type { BatchDeliveryConfig } from './deliverBatch.js';
import { DEFAULT_DELIVERY_RETRY_COUNT, DELIVERER_ENV } from './constants.js';
import { RETRY_STRATEGIES, type RetryStrategy } from './retryDelay.js';

/** The deliverer's configuration, read once from the environment. */
export interface DelivererConfig {
  readonly batch: BatchDeliveryConfig;
  readonly connectorId: string;
  readonly stateTable: string;
  readonly payloadBucket?: string;
  /** The customer role; undefined = same-account mode (the function's own credentials). */
  readonly role?: RoleTarget;
  /** Signing region; undefined = the region in each endpoint's host name. */
  readonly region?: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxSockets: number;
}

const retryStrategyFromEnv = (env: NodeJS.ProcessEnv): RetryStrategy => {
  const raw = optionalEnv(DELIVERER_ENV.retryStrategy, 'exponential', env);
  if (!(RETRY_STRATEGIES as readonly string[]).includes(raw)) {
    throw new ConfigurationError(
      `${DELIVERER_ENV.retryStrategy} must be one of ${RETRY_STRATEGIES.join(', ')}`,
    );
  }
  return raw as RetryStrategy;
};

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/**
 * Reads and validates the deliverer's environment; throws `ConfigurationError` naming the first missing
 * or malformed variable.
 */
export const delivererConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): DelivererConfig => {
  const roleArn = optionalEnv(ENV.healthLakeRoleArn, '', env);
  const externalId = optionalEnv(ENV.healthLakeExternalId, '', env);
  const region = optionalEnv(ENV.healthLakeRegion, '', env);
  const payloadBucket = optionalEnv(ENV.payloadBucket, '', env);
  const allowed = list(optionalEnv(ENV.allowedEndpoints, '', env));
  const single = optionalEnv(ENV.healthLakeEndpoint, '', env);
  if (single && allowed.length > 0) allowed.push(single);
  const retryCount = intEnv(ENV.deliveryRetryCount, DEFAULT_DELIVERY_RETRY_COUNT, { min: 0, max: 999 }, env);
  return {
    connectorId: requireEnv(ENV.connectorId, env),
    stateTable: requireEnv(ENV.stateTable, env),
    ...(payloadBucket ? { payloadBucket } : {}),
    ...(roleArn ? { role: { roleArn, ...(externalId ? { externalId } : {}) } } : {}),
    ...(region ? { region } : {}),
    connectTimeoutMs: intEnv(DELIVERER_ENV.connectTimeoutMs, 10_000, { min: 100, max: 120_000 }, env),
    responseTimeoutMs: intEnv(DELIVERER_ENV.responseTimeoutMs, 10_000, { min: 100, max: 900_000 }, env),
    maxSockets: intEnv(DELIVERER_ENV.maxSockets, 50, { min: 1, max: 10_000 }, env),
    batch: {
      queueUrl: requireEnv(ENV.deliveryQueueUrl, env),
      deadLetterQueueUrl: requireEnv(ENV.deliveryDlqUrl, env),
      defaultMaxAttempts: retryCount + 1,
      backoff: {
        baseSeconds: intEnv(DELIVERER_ENV.retryBaseSeconds, 2, { min: 0, max: 43_200 }, env),
        maxSeconds: intEnv(DELIVERER_ENV.retryMaxSeconds, 300, { min: 0, max: 43_200 }, env),
        strategy: retryStrategyFromEnv(env),
      },
      allowedEndpoints: new Set(allowed),
    },
  };
};
