import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CONNECTOR_DIMENSION, METRICS_NAMESPACE } from '../delivery/constants.js';
import { ENV } from '../config/constants.js';

/** Powertools' own variables, set by the CDK constructs (ConnectorFunction). */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

const serviceName = (fallback: string, env: NodeJS.ProcessEnv): string =>
  env[POWERTOOLS_ENV.serviceName] || fallback;

/**
 * A function's Powertools Metrics: namespace and service from POWERTOOLS_METRICS_NAMESPACE and
 * POWERTOOLS_SERVICE_NAME (else the connector namespace and `fallbackService`), and the `connector`
 * default dimension from CONNECTOR_ID, which every EMF record then carries (single metrics too).
 *
 * @example
 * const metrics = metricsFromEnv('ingest'); // service "ingest" unless POWERTOOLS_SERVICE_NAME says otherwise
 */
export const metricsFromEnv = (fallbackService: string, env: NodeJS.ProcessEnv = process.env): Metrics => {
  const connectorId = env[ENV.connectorId];
  return new Metrics({
    namespace: env[POWERTOOLS_ENV.metricsNamespace] || METRICS_NAMESPACE,
    serviceName: serviceName(fallbackService, env),
    ...(connectorId ? { defaultDimensions: { [CONNECTOR_DIMENSION]: connectorId } } : {}),
  });
};

/**
 * A function's Powertools Logger: service from POWERTOOLS_SERVICE_NAME (else `fallbackService`);
 * the level from POWERTOOLS_LOG_LEVEL, which Powertools reads itself.
 */
export const loggerFromEnv = (fallbackService: string, env: NodeJS.ProcessEnv = process.env): Logger =>
  new Logger({ serviceName: serviceName(fallbackService, env) });
