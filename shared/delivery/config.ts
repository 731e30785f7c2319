import { DELIVERER_CONTRACT, readEnv, type EnvValues } from '../config/envContract.js';
import type { RoleTarget } from '../healthlake/CredentialCache.js';
import type { BatchDeliveryConfig } from './deliverBatch.js';

/** The deliverer's configuration, read once from the environment. */
export interface DelivererConfig {
  readonly batch: BatchDeliveryConfig;
  readonly connectorId: string;
  readonly stateTable: string;
  /** The customer role; undefined = same-account mode (the function's own credentials). */
  readonly role?: RoleTarget;
  /** Signing region; undefined = the region in each endpoint's host name. */
  readonly region?: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxSockets: number;
}

/** The deliverer's configuration from its read contract values (`DELIVERER_CONTRACT`). */
export const delivererConfigOf = (values: EnvValues<typeof DELIVERER_CONTRACT>): DelivererConfig => {
  const allowed = [...values.allowedEndpoints];
  const single = values.healthLakeEndpoint;
  if (single && allowed.length > 0) allowed.push(single);
  const roleArn = values.healthLakeRoleArn;
  const externalId = values.healthLakeExternalId;
  return {
    connectorId: values.connectorId,
    stateTable: values.stateTable,
    ...(roleArn ? { role: { roleArn, ...(externalId ? { externalId } : {}) } } : {}),
    ...(values.healthLakeRegion ? { region: values.healthLakeRegion } : {}),
    connectTimeoutMs: values.connectTimeoutMs,
    responseTimeoutMs: values.responseTimeoutMs,
    maxSockets: values.maxSockets,
    batch: {
      queueUrl: values.deliveryQueueUrl,
      deadLetterQueueUrl: values.deliveryDlqUrl,
      defaultMaxAttempts: values.deliveryRetryCount + 1,
      backoff: { baseSeconds: values.retryBaseSeconds, maxSeconds: values.retryMaxSeconds },
      allowedEndpoints: new Set(allowed),
    },
  };
};

/**
 * Reads and validates the deliverer's environment; throws `ConfigurationError` listing every missing
 * or malformed variable.
 */
export const delivererConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): DelivererConfig =>
  delivererConfigOf(readEnv(DELIVERER_CONTRACT, env, 'deliverer'));
