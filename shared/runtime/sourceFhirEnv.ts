import { ENV } from '../config/constants.js';
import { choiceVar, intVar, optionalVar, requiredVar, type EnvValues } from '../config/envVar.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PAGE_SIZE,
  DEFAULT_SOURCE_REQUESTS_PER_SECOND,
} from '../fhirClient/constants.js';

/** Bounds of SOURCE_FHIR_MAX_RESPONSE_BYTES (and `sourceFhir.maxResponseBytes`): 64 KiB to 1 GiB. */
export const MAX_RESPONSE_BYTES_RANGE = { min: 65_536, max: 1_073_741_824 } as const;

/** The backfill source server (shared/runtime/createSourceReaderFromEnv.ts). */
export const SOURCE_FHIR_ENV = {
  sourceBaseUrl: requiredVar(ENV.sourceFhirBaseUrl, 'Source FHIR server base URL.'),
  sourceAuth: choiceVar(
    ENV.sourceFhirAuth,
    'Source server authentication.',
    ['none', 'bearer', 'basic', 'sigv4', 'oauth2'] as const,
    'none',
    'stack',
  ),
  sourceSecretId: optionalVar(ENV.sourceFhirSecretId, 'Secrets Manager secret with the source credentials.'),
  sourceSecret: optionalVar(
    ENV.sourceFhirSecret,
    'Local mode only: the secret value itself (same JSON as the secret) instead of a secret id.',
    'local',
  ),
  sourcePageSize: intVar(
    ENV.sourceFhirPageSize,
    '`_count` of searches without one.',
    DEFAULT_PAGE_SIZE,
    { min: 1, max: 1000 },
    'stack',
  ),
  sourceRequestsPerSecond: intVar(
    ENV.sourceFhirRequestsPerSecond,
    'Most requests per second to the source, per worker (0 = unlimited).',
    DEFAULT_SOURCE_REQUESTS_PER_SECOND,
    { min: 0, max: 10_000 },
    'stack',
  ),
  sourceSigV4Service: optionalVar(ENV.sourceFhirSigV4Service, 'SigV4 signing service (default healthlake).'),
  sourceRegion: optionalVar(
    ENV.sourceFhirRegion,
    "SigV4 signing region (required for sigv4; the stack writes the source's, never the function's own).",
  ),
  sourceMaxResponseBytes: intVar(
    ENV.sourceFhirMaxResponseBytes,
    'Largest response body read from the source (and, in reconcile, HealthLake); past it the read fails permanently.',
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_RESPONSE_BYTES_RANGE,
    'stack',
  ),
  sourceTlsSecretId: optionalVar(
    ENV.sourceFhirTlsSecretId,
    'Secrets Manager secret with the client certificate, key and CA bundle for mutual TLS ({"cert","key","ca"}).',
  ),
  sourceTlsSecret: optionalVar(
    ENV.sourceFhirTlsSecret,
    'Local mode only: the TLS secret value itself (same JSON as the secret) instead of a secret id.',
    'local',
  ),
} as const;

/** Rules across the source variables: SigV4 signs with the configured region, never AWS_REGION. */
export const sourceFhirRules = (
  values: Pick<Partial<EnvValues<typeof SOURCE_FHIR_ENV>>, 'sourceAuth' | 'sourceRegion'>,
): string[] =>
  values.sourceAuth === 'sigv4' && !values.sourceRegion
    ? [`${ENV.sourceFhirRegion} is required for sigv4 source auth`]
    : [];

/**
 * The source variables the deliverer reads for payload search (HAPI's subscription-payload-search-
 * criteria): backfill's, with the base URL optional (unset = payload-search messages are dead-lettered
 * with that cause).
 */
export const DELIVERER_SOURCE_ENV = {
  ...SOURCE_FHIR_ENV,
  sourceBaseUrl: optionalVar(
    ENV.sourceFhirBaseUrl,
    'Source FHIR server base URL: where payload searches run (unset = none can run).',
  ),
} as const;

/**
 * The source variables the reconcile worker reads: backfill's, without its page size and rate
 * (reconcile pages at RECONCILE_PAGE_SIZE and reads at RECONCILE_SOURCE_REQUESTS_PER_SECOND).
 */
export const RECONCILE_SOURCE_ENV = (({
  sourcePageSize: _pageSize,
  sourceRequestsPerSecond: _rate,
  ...rest
}) => rest)(SOURCE_FHIR_ENV);
