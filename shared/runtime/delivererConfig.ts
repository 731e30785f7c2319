import { ENV } from '../config/constants.js';
import { readEnv, type EnvValues } from '../config/envVar.js';
import { DELIVERER_CONTRACT } from './delivererContract.js';
import type { RoleTarget } from '../healthlake/credentials.js';
import { parseAllowedEndpoints } from '../subscriptions/endpoints.js';
import type { BatchDeliveryConfig } from '../delivery/batchTypes.js';

/** The deliverer's configuration, read once from the environment. */
export interface DelivererConfig {
  readonly batch: BatchDeliveryConfig;
  readonly connectorId: string;
  readonly stateTable: string;
  /** The customer role; undefined = same-account mode (the function's own credentials). */
  readonly role?: RoleTarget;
  /** STS session length of the customer role, seconds (900-3600: role chaining caps it at one hour). */
  readonly sessionDurationSeconds: number;
  /** Signing region of endpoints whose host names none (stand-ins); HealthLake hosts sign with their own. */
  readonly region?: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxSockets: number;
  /** Pace each data store's writes after a 429 (PacedHealthLake). */
  readonly adaptivePacing: boolean;
}

/**
 * The allow-list, parsed as ingest parses it (`parseAllowedEndpoints`, so entries compare normalised
 * with the endpoints messages carry), plus the single HEALTHLAKE_ENDPOINT. Fails closed: an empty or
 * unparsable list allows nothing, and `problem` says why (logged at start-up).
 */
const readAllowList = (
  values: EnvValues<typeof DELIVERER_CONTRACT>,
): { endpoints: string[]; problem?: string } => {
  const raw = [values.allowedEndpoints ?? '', values.healthLakeEndpoint ?? ''];
  let endpoints: string[];
  try {
    endpoints = parseAllowedEndpoints(raw.join(','));
  } catch (error) {
    return {
      endpoints: [],
      problem: `${ENV.allowedEndpoints} is unparsable (${(error as Error).message}): nothing is delivered until it is fixed`,
    };
  }
  return endpoints.length > 0
    ? { endpoints }
    : {
        endpoints,
        problem: `${ENV.allowedEndpoints} and ${ENV.healthLakeEndpoint} are empty: nothing is delivered until an endpoint is allowed`,
      };
};

/** The deliverer's configuration from its read contract values (`DELIVERER_CONTRACT`). */
export const delivererConfigOf = (values: EnvValues<typeof DELIVERER_CONTRACT>): DelivererConfig => {
  const allowList = readAllowList(values);
  const roleArn = values.healthLakeRoleArn;
  const externalId = values.healthLakeExternalId;
  return {
    connectorId: values.connectorId,
    stateTable: values.stateTable,
    ...(roleArn ? { role: { roleArn, ...(externalId ? { externalId } : {}) } } : {}),
    ...(values.healthLakeRegion ? { region: values.healthLakeRegion } : {}),
    sessionDurationSeconds: values.healthLakeSessionDurationSeconds,
    connectTimeoutMs: values.connectTimeoutMs,
    responseTimeoutMs: values.responseTimeoutMs,
    maxSockets: values.maxSockets,
    adaptivePacing: values.adaptivePacing,
    batch: {
      queueUrl: values.deliveryQueueUrl,
      deadLetterQueueUrl: values.deliveryDlqUrl,
      defaultMaxAttempts: values.deliveryRetryCount + 1,
      backoff: {
        baseSeconds: values.retryBaseSeconds,
        maxSeconds: values.retryMaxSeconds,
        strategy: values.retryStrategy,
      },
      accessDeniedBackoff: {
        baseSeconds: values.accessDeniedBaseSeconds,
        maxSeconds: values.accessDeniedMaxSeconds,
      },
      allowedEndpoints: new Set(allowList.endpoints),
      ...(allowList.problem ? { allowListProblem: allowList.problem } : {}),
      timeLimit: {
        connectTimeoutMs: values.connectTimeoutMs,
        responseTimeoutMs: values.responseTimeoutMs,
        settleReserveMs: values.settleReserveMs,
        deferDelaySeconds: values.deferDelaySeconds,
      },
    },
  };
};

/**
 * Reads and validates the deliverer's environment; throws `ConfigurationError` listing every missing
 * or malformed variable.
 */
export const delivererConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): DelivererConfig =>
  delivererConfigOf(readEnv(DELIVERER_CONTRACT, env, 'deliverer'));
