import { ENV } from '../config/constants.js';
import { AWS_RUNTIME_ENV, endpointVar } from '../config/awsEnv.js';
import { boolVar, choiceVar, intVar, optionalVar, requiredVar } from '../config/envVar.js';
import { ACCESS_DENIED_BACKOFF, DEFAULT_DELIVERY_RETRY_COUNT, DELIVERER_ENV } from '../delivery/constants.js';
import { RETRY_STRATEGIES } from '../delivery/retryDelay.js';
import {
  DEFAULT_BUNDLE_REQUESTS_PER_SECOND,
  HEALTHLAKE_MAX_BUNDLE_ENTRIES,
  MAX_CONFIGURABLE_BUNDLE_ENTRIES,
  SESSION_DURATION_LIMITS,
} from '../healthlake/constants.js';
import { DEFAULT_TRANSFORM_TIMEOUT_MS } from '../delivery/transformInvoker.js';
import { DELIVERER_SOURCE_ENV } from './sourceFhirEnv.js';
import { transformsVar } from './transformsVar.js';

/** The deliverer Lambda (lambdas/deliverer). */
export const DELIVERER_CONTRACT = {
  ...AWS_RUNTIME_ENV,
  sqsEndpoint: endpointVar('sqs'),
  s3Endpoint: endpointVar('s3'),
  dynamodbEndpoint: endpointVar('dynamodb'),
  stsEndpoint: endpointVar('sts'),
  connectorId: requiredVar(
    ENV.connectorId,
    'Connector id: names STS sessions; the `connector` metric dimension.',
  ),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB state table.'),
  deliveryQueueUrl: requiredVar(ENV.deliveryQueueUrl, 'The delivery queue it consumes (visibility changes).'),
  deliveryDlqUrl: requiredVar(ENV.deliveryDlqUrl, 'Its FIFO dead-letter queue (failures with their cause).'),
  healthLakeEndpoint: optionalVar(ENV.healthLakeEndpoint, 'The primary data store endpoint.'),
  // Read raw: the deliverer parses it (parseAllowedEndpoints) and fails closed, dead-lettering with
  // the cause, rather than refusing to start (shared/runtime/delivererConfig.ts).
  allowedEndpoints: optionalVar(
    ENV.allowedEndpoints,
    'Data store endpoints deliveries may target (with HEALTHLAKE_ENDPOINT); empty or unparsable = none.',
  ),
  healthLakeRoleArn: optionalVar(ENV.healthLakeRoleArn, 'Customer role to assume; unset = same account.'),
  healthLakeExternalId: optionalVar(ENV.healthLakeExternalId, 'ExternalId of the AssumeRole.'),
  healthLakeSessionDurationSeconds: intVar(
    ENV.healthLakeSessionDurationSeconds,
    'STS session length of the customer role, seconds (role chaining caps it at one hour).',
    SESSION_DURATION_LIMITS.max,
    SESSION_DURATION_LIMITS,
    'stack',
  ),
  healthLakeRegion: optionalVar(
    ENV.healthLakeRegion,
    'Signing region of endpoints whose host names none (HealthLake hosts sign with their own).',
  ),
  deliveryRetryCount: intVar(
    ENV.deliveryRetryCount,
    'Default delivery retries before the DLQ (delivery.retryCount).',
    DEFAULT_DELIVERY_RETRY_COUNT,
    { min: 0, max: 999 },
    'stack',
  ),
  connectTimeoutMs: intVar(DELIVERER_ENV.connectTimeoutMs, 'HealthLake connect timeout, ms.', 10_000, {
    min: 100,
    max: 120_000,
  }),
  responseTimeoutMs: intVar(DELIVERER_ENV.responseTimeoutMs, 'HealthLake response timeout, ms.', 10_000, {
    min: 100,
    max: 900_000,
  }),
  maxSockets: intVar(DELIVERER_ENV.maxSockets, 'Keep-alive sockets per data store.', 50, {
    min: 1,
    max: 10_000,
  }),
  adaptivePacing: boolVar(
    DELIVERER_ENV.adaptivePacing,
    "Pace each data store's writes per instance when HealthLake throttles them (AdaptivePacer).",
    true,
  ),
  retryBaseSeconds: intVar(
    DELIVERER_ENV.retryBaseSeconds,
    'First retry delay, seconds (delivery.retryBaseDelaySeconds).',
    2,
    { min: 0, max: 43_200 },
    'stack',
  ),
  retryMaxSeconds: intVar(
    DELIVERER_ENV.retryMaxSeconds,
    'Largest retry delay, seconds (delivery.retryMaxDelaySeconds).',
    300,
    { min: 0, max: 43_200 },
    'stack',
  ),
  retryStrategy: choiceVar(
    DELIVERER_ENV.retryStrategy,
    'Retry timing: exponential (doubling, with jitter) or fixed (delivery.retryStrategy).',
    RETRY_STRATEGIES,
    'exponential',
    'stack',
  ),
  accessDeniedBaseSeconds: intVar(
    DELIVERER_ENV.accessDeniedBaseSeconds,
    'First retry delay of an access-denied failure, seconds.',
    ACCESS_DENIED_BACKOFF.baseSeconds,
    { min: 0, max: 43_200 },
  ),
  accessDeniedMaxSeconds: intVar(
    DELIVERER_ENV.accessDeniedMaxSeconds,
    'Largest retry delay of an access-denied failure, seconds.',
    ACCESS_DENIED_BACKOFF.maxSeconds,
    { min: 0, max: 43_200 },
  ),
  settleReserveMs: intVar(
    DELIVERER_ENV.settleReserveMs,
    'Time kept free at the end of an invocation for settling its records, ms.',
    3000,
    { min: 100, max: 60_000 },
  ),
  deferDelaySeconds: intVar(
    DELIVERER_ENV.deferDelaySeconds,
    'Visibility delay of records left unstarted at the time limit, seconds.',
    1,
    { min: 0, max: 900 },
  ),
  healthLakeBundleRequestsPerSecond: intVar(
    ENV.healthLakeBundleRequestsPerSecond,
    'Transaction Bundles per second per data store per instance (payload search; HealthLake allows 10/s per data store, 1/s on older ones; 0 = unlimited).',
    DEFAULT_BUNDLE_REQUESTS_PER_SECOND,
    { min: 0, max: 20 },
  ),
  healthLakeMaxBundleEntries: intVar(
    ENV.healthLakeMaxBundleEntries,
    'Most entries in one Bundle sent to HealthLake (healthLake.maxBundleEntries): payload search results above it are dead-lettered.',
    HEALTHLAKE_MAX_BUNDLE_ENTRIES,
    { min: 1, max: MAX_CONFIGURABLE_BUNDLE_ENTRIES },
    'stack',
  ),
  lambdaEndpoint: endpointVar('lambda'),
  transforms: transformsVar,
  transformTimeoutMs: intVar(
    ENV.deliveryTransformTimeoutMs,
    'The longest one transform may take, ms (delivery.transformTimeoutSeconds), and at most half of what the invocation has left.',
    DEFAULT_TRANSFORM_TIMEOUT_MS,
    { min: 100, max: 60_000 },
    'stack',
  ),
  secretsManagerEndpoint: endpointVar('secretsManager'),
  ...DELIVERER_SOURCE_ENV,
} as const;
