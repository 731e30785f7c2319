import { ENV } from '../config/constants.js';
import { intEnv, optionalEnv, requireEnv } from '../config/env.js';
import { SESSION_DURATION_LIMITS, type RoleTarget } from '../healthlake/credentials.js';
import type { BatchDeliveryConfig } from './deliverBatch.js';
import { ACCESS_DENIED_BACKOFF, DEFAULT_DELIVERY_RETRY_COUNT, DELIVERER_ENV } from './constants.js';

/** The deliverer's configuration, read once from the environment. */
export interface DelivererConfig {
  readonly batch: BatchDeliveryConfig;
  readonly connectorId: string;
  readonly stateTable: string;
  readonly payloadBucket?: string;
  /** The customer role; undefined = same-account mode (the function's own credentials). */
  readonly role?: RoleTarget;
  /** STS session length of the customer role, seconds (900-3600: role chaining caps it at one hour). */
  readonly sessionDurationSeconds: number;
  /** Signing region of endpoints whose host names none (stand-ins); HealthLake hosts sign with their own. */
  readonly region?: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxSockets: number;
}

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
  const connectTimeoutMs = intEnv(DELIVERER_ENV.connectTimeoutMs, 10_000, { min: 100, max: 120_000 }, env);
  const responseTimeoutMs = intEnv(DELIVERER_ENV.responseTimeoutMs, 10_000, { min: 100, max: 900_000 }, env);
  return {
    connectorId: requireEnv(ENV.connectorId, env),
    stateTable: requireEnv(ENV.stateTable, env),
    ...(payloadBucket ? { payloadBucket } : {}),
    ...(roleArn ? { role: { roleArn, ...(externalId ? { externalId } : {}) } } : {}),
    ...(region ? { region } : {}),
    sessionDurationSeconds: intEnv(
      ENV.healthLakeSessionDurationSeconds,
      SESSION_DURATION_LIMITS.max,
      SESSION_DURATION_LIMITS,
      env,
    ),
    connectTimeoutMs,
    responseTimeoutMs,
    maxSockets: intEnv(DELIVERER_ENV.maxSockets, 50, { min: 1, max: 10_000 }, env),
    batch: {
      queueUrl: requireEnv(ENV.deliveryQueueUrl, env),
      deadLetterQueueUrl: requireEnv(ENV.deliveryDlqUrl, env),
      defaultMaxAttempts: retryCount + 1,
      backoff: {
        baseSeconds: intEnv(DELIVERER_ENV.retryBaseSeconds, 2, { min: 0, max: 43_200 }, env),
        maxSeconds: intEnv(DELIVERER_ENV.retryMaxSeconds, 300, { min: 0, max: 43_200 }, env),
      },
      accessDeniedBackoff: {
        baseSeconds: intEnv(
          DELIVERER_ENV.accessDeniedBaseSeconds,
          ACCESS_DENIED_BACKOFF.baseSeconds,
          { min: 0, max: 43_200 },
          env,
        ),
        maxSeconds: intEnv(
          DELIVERER_ENV.accessDeniedMaxSeconds,
          ACCESS_DENIED_BACKOFF.maxSeconds,
          { min: 0, max: 43_200 },
          env,
        ),
      },
      allowedEndpoints: new Set(allowed),
      timeLimit: {
        connectTimeoutMs,
        responseTimeoutMs,
        settleReserveMs: intEnv(DELIVERER_ENV.settleReserveMs, 3000, { min: 100, max: 60_000 }, env),
        deferDelaySeconds: intEnv(DELIVERER_ENV.deferDelaySeconds, 1, { min: 0, max: 900 }, env),
      },
    },
  };
};
