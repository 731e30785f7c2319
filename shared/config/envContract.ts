/**
 * The environment contract of every connector Lambda: which variables each function reads, their
 * types, defaults and meaning, and who sets them. The CDK constructs write these names, each
 * function's `...FromEnv` factory reads them only through `readEnv`, and local mode builds the same
 * environments (test/infra/envContract.test.ts checks the synthesized stack against it).
 *
 * Adding a variable:
 *  1. add its name to `ENV` (shared/config/constants.ts) or the function's own `*_ENV` table;
 *  2. add a spec to the function's contract below (or to a shared group such as `WRITE_PIPELINE_ENV`),
 *     with the right `origin` (`stack` = the CDK stack writes it; `tuning` = a default the stack
 *     leaves alone, set by an operator or by local mode; `local` = local mode only; `lambda` = the
 *     Lambda runtime);
 *  3. read it from the factory's `readEnv(...)` result, and write it in the construct (`stack`) or in
 *     local/functionEnvironments.ts (`local`/`tuning`).
 * The contract test fails while a `stack` variable is never written, or the stack writes a variable
 * the function does not declare.
 */
import { DEFAULT_PAGE_SIZE, DEFAULT_SOURCE_REQUESTS_PER_SECOND } from '../backfill/constants.js';
import { DEFAULT_BUNDLE_REQUESTS_PER_SECOND } from '../payloadSearch/constants.js';
import { parseAllowedEndpoints } from '../subscriptions/endpoints.js';
import { ACCESS_DENIED_BACKOFF, DELIVERER_ENV } from '../delivery/constants.js';
import { SESSION_DURATION_LIMITS } from '../healthlake/constants.js';
import { INGEST_DEFAULTS, INGEST_ENV } from '../ingest/constants.js';
import { RETRY_STRATEGIES } from '../delivery/retryDelay.js';
import { RECONCILE_DEFAULTS, RECONCILE_ENV } from '../reconcile/constants.js';
import { SUBSCRIPTION_DEFAULTS } from '../subscriptions/constants.js';
import { ENV } from './constants.js';
import { ConfigurationError } from './env.js';

/** Who sets a variable. */
export type EnvOrigin = 'stack' | 'tuning' | 'local' | 'lambda';

/** One variable: its name, who sets it, what it means, and how its text becomes a value. */
export interface EnvVar<T> {
  readonly name: string;
  readonly origin: EnvOrigin;
  readonly doc: string;
  /** Turns the raw text (undefined or '' when unset) into the value; throws an Error saying what is wrong. */
  readonly parse: (raw: string | undefined) => T;
}

export type EnvContract = Readonly<Record<string, EnvVar<unknown>>>;
export type EnvValues<C extends EnvContract> = { readonly [K in keyof C]: ReturnType<C[K]['parse']> };

const isUnset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

/** A variable that must be set. */
export const requiredVar = (name: string, doc: string, origin: EnvOrigin = 'stack'): EnvVar<string> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) throw new Error('is required');
    return raw;
  },
});

/** A variable that may be unset (undefined). */
export const optionalVar = (
  name: string,
  doc: string,
  origin: EnvOrigin = 'stack',
): EnvVar<string | undefined> => ({ name, origin, doc, parse: (raw) => (isUnset(raw) ? undefined : raw) });

/** An integer in [min, max], `fallback` when unset (undefined fallback = optional). */
export const intVar = <F extends number | undefined>(
  name: string,
  doc: string,
  fallback: F,
  range: { readonly min: number; readonly max: number },
  origin: EnvOrigin = 'tuning',
): EnvVar<number | F> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      throw new Error(`must be an integer in [${range.min}, ${range.max}]`);
    }
    return value;
  },
});

/** "true"/"1" or "false"/"0". */
export const boolVar = (
  name: string,
  doc: string,
  fallback: boolean,
  origin: EnvOrigin = 'tuning',
): EnvVar<boolean> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new Error('must be "true" or "false"');
  },
});

/** One of `choices` (case-sensitive). */
export const choiceVar = <C extends string>(
  name: string,
  doc: string,
  choices: readonly C[],
  fallback: C,
  origin: EnvOrigin = 'tuning',
): EnvVar<C> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    if (!(choices as readonly string[]).includes(raw))
      throw new Error(`must be one of ${choices.join(', ')}`);
    return raw as C;
  },
});

/** A comma-separated list of `choices`, at least one. */
export const choiceListVar = <C extends string>(
  name: string,
  doc: string,
  choices: readonly C[],
  fallback: readonly C[],
  origin: EnvOrigin = 'stack',
): EnvVar<readonly C[]> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0 || items.some((item) => !(choices as readonly string[]).includes(item))) {
      throw new Error(`must list ${choices.join(' and/or ')}`);
    }
    return items as C[];
  },
});

/** A comma-separated list of strings (empty when unset). */
export const listVar = (
  name: string,
  doc: string,
  origin: EnvOrigin = 'stack',
): EnvVar<readonly string[]> => ({
  name,
  origin,
  doc,
  parse: (raw) =>
    isUnset(raw)
      ? []
      : raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
});

/** Comma-separated data store endpoints, normalised (empty list when unset unless required). */
export const endpointListVar = (
  name: string,
  doc: string,
  required: boolean,
  origin: EnvOrigin = 'stack',
): EnvVar<readonly string[]> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) {
      if (required) throw new Error('is required');
      return [];
    }
    return parseAllowedEndpoints(raw);
  },
});

/**
 * Reads a contract from `env`, checking every variable; throws one `ConfigurationError` listing every
 * problem (name and what is wrong, never the value).
 *
 * @example
 * const values = readEnv(DELIVERER_CONTRACT, process.env);
 */
export const readEnv = <C extends EnvContract>(
  contract: C,
  env: NodeJS.ProcessEnv,
  functionName: string,
  /** Rules across variables (e.g. bearer auth needs a token source), given what parsed. */
  rules: (values: Partial<EnvValues<C>>) => string[] = () => [],
): EnvValues<C> => {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(contract)) {
    try {
      values[key] = spec.parse(env[spec.name]);
    } catch (error) {
      problems.push(`${spec.name} ${error instanceof Error ? error.message : 'is invalid'}`);
    }
  }
  problems.push(...rules(values as Partial<EnvValues<C>>));
  if (problems.length > 0) {
    throw new ConfigurationError(
      `Invalid ${functionName} environment (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
  return values as EnvValues<C>;
};

/**
 * The environment entries for `values` (keys of `contract`), undefined values left out: how the CDK
 * constructs and local mode write a function's variables by contract key rather than by hand-typed name.
 */
export const envEntries = <C extends EnvContract>(
  contract: C,
  values: { readonly [K in keyof C]?: string | undefined },
): Record<string, string> => {
  const entries: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const spec = contract[key];
    if (!spec) throw new Error(`No variable ${key} in this contract`);
    if (value !== undefined) entries[spec.name] = value;
  }
  return entries;
};

/** Variables consumed by Node.js and Powertools themselves (ConnectorFunction sets them), not by our code. */
export const PLATFORM_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
];

// --- AWS SDK ------------------------------------------------------------------------------------

/** The services whose endpoints the SDK's `AWS_ENDPOINT_URL_{SERVICE}` variables override. */
export const AWS_SERVICES = {
  sqs: 'SQS',
  s3: 'S3',
  dynamodb: 'DYNAMODB',
  sts: 'STS',
  secretsManager: 'SECRETS_MANAGER',
  ssm: 'SSM',
} as const;
export type AwsService = keyof typeof AWS_SERVICES;

/** Region and credentials Lambda's runtime provides (local mode sets them for the stand-ins). */
export const AWS_RUNTIME_ENV = {
  awsRegion: optionalVar(
    'AWS_REGION',
    'Region of the function (Lambda runtime; unset = SDK default).',
    'lambda',
  ),
  awsAccessKeyId: optionalVar('AWS_ACCESS_KEY_ID', "The function's credentials (Lambda runtime).", 'lambda'),
  awsSecretAccessKey: optionalVar('AWS_SECRET_ACCESS_KEY', 'Secret of AWS_ACCESS_KEY_ID.', 'lambda'),
  awsSessionToken: optionalVar('AWS_SESSION_TOKEN', 'Session token of AWS_ACCESS_KEY_ID.', 'lambda'),
} as const;

/** The `AWS_ENDPOINT_URL_{SERVICE}` variable of `service` (local mode points it at a stand-in). */
export const endpointVar = (service: AwsService): EnvVar<string | undefined> =>
  optionalVar(
    `AWS_ENDPOINT_URL_${AWS_SERVICES[service]}`,
    `Endpoint of ${AWS_SERVICES[service]} (unset = the regional AWS endpoint; local mode sets its stand-in).`,
    'local',
  );

/** SDK client configuration from a function's read environment: region, endpoint and credentials. */
export const awsClientConfig = (
  aws: EnvValues<typeof AWS_RUNTIME_ENV>,
  endpoint: string | undefined,
): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
} => ({
  ...(aws.awsRegion ? { region: aws.awsRegion } : {}),
  ...(endpoint ? { endpoint } : {}),
  // Given explicitly, so several functions' environments can live in one process (local mode);
  // unset = the SDK's default chain.
  ...(aws.awsAccessKeyId && aws.awsSecretAccessKey
    ? {
        credentials: {
          accessKeyId: aws.awsAccessKeyId,
          secretAccessKey: aws.awsSecretAccessKey,
          ...(aws.awsSessionToken ? { sessionToken: aws.awsSessionToken } : {}),
        },
      }
    : {}),
});

/** S3 client configuration: path-style addressing against an endpoint override (stand-in host names do not resolve). */
export const s3ClientConfig = (
  aws: EnvValues<typeof AWS_RUNTIME_ENV> & { readonly s3Endpoint?: string },
) => ({
  ...awsClientConfig(aws, aws.s3Endpoint),
  forcePathStyle: Boolean(aws.s3Endpoint),
});

// --- Function contracts -------------------------------------------------------------------------

/** The connector id as every function's `connector` metric dimension (shared/config/powertoolsFromEnv.ts). */
const metricDimensionConnectorId = optionalVar(
  ENV.connectorId,
  'Connector id: the `connector` dimension of every metric the function publishes.',
);

/** What the write pipeline (ingest and backfill worker) reads. */
export const WRITE_PIPELINE_ENV = {
  ...AWS_RUNTIME_ENV,
  connectorId: metricDimensionConnectorId,
  sqsEndpoint: endpointVar('sqs'),
  s3Endpoint: endpointVar('s3'),
  dynamodbEndpoint: endpointVar('dynamodb'),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB table: version ledger, deliveries, subscriptions, jobs.'),
  deliveryQueueUrl: requiredVar(ENV.deliveryQueueUrl, 'SQS FIFO delivery queue URL.'),
  allowedEndpoints: endpointListVar(
    ENV.allowedEndpoints,
    'Comma-separated data store endpoints a Subscription may target.',
    true,
  ),
  payloadBucket: optionalVar(ENV.payloadBucket, 'S3 bucket for payloads too large for an SQS message.'),
  payloadEncryption: choiceVar(
    INGEST_ENV.payloadEncryption,
    'S3 server-side encryption of large payloads.',
    ['aws:kms', 'AES256'] as const,
    'aws:kms',
  ),
  payloadKmsKeyId: optionalVar(INGEST_ENV.payloadKmsKeyId, 'KMS key of aws:kms payload encryption.'),
  deliveryRetryCount: intVar(
    ENV.deliveryRetryCount,
    'Default subscription delivery-retry-count (unset = the subscription cache default).',
    undefined,
    { min: 0, max: 999 },
    'stack',
  ),
} as const;

/** The ingest Lambda (lambdas/ingest). */
export const INGEST_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  ssmEndpoint: endpointVar('ssm'),
  backfillQueueUrl: optionalVar(
    ENV.backfillQueueUrl,
    'Backfill work queue URL; set = $trigger-subscription and $backfill-job are served.',
  ),
  reconcileQueueUrl: optionalVar(
    RECONCILE_ENV.queueUrl,
    'Reconcile work queue URL; set (reconcile enabled) = $reconcile and $reconcile-job are served.',
  ),
  authModes: choiceListVar(
    INGEST_ENV.authModes,
    'How producers authenticate: bearer, iam, or bearer,iam.',
    ['bearer', 'iam'] as const,
    ['bearer'],
  ),
  tokenStore: choiceVar(
    INGEST_ENV.tokenStore,
    'Where the hashed bearer tokens live.',
    ['secretsmanager', 'ssm'] as const,
    'secretsmanager',
  ),
  tokenSecretId: optionalVar(ENV.ingestTokenSecretId, 'Secret / SSM parameter holding hashed bearer tokens.'),
  tokenHashes: optionalVar(
    INGEST_ENV.tokenHashes,
    'Local mode only: the hashed token list itself (same JSON as the secret) instead of a secret id.',
    'local',
  ),
  tokenCacheSeconds: intVar(INGEST_ENV.tokenCacheSeconds, 'Token list cache lifetime, seconds.', 120, {
    min: 0,
    max: 3600,
  }),
  maxBundleEntries: intVar(INGEST_ENV.maxBundleEntries, 'Most entries in one Bundle.', 1000, {
    min: 1,
    max: 10_000,
  }),
  validateResources: boolVar(INGEST_ENV.validateResources, 'Run the FHIR structure validator.', true),
  maxBodyBytes: intVar(
    INGEST_ENV.maxBodyBytes,
    'Largest accepted request body, bytes.',
    5 * 1024 * 1024,
    { min: 1024, max: 10 * 1024 * 1024 },
    'stack',
  ),
  maxJsonDepth: intVar(
    INGEST_ENV.maxJsonDepth,
    'Deepest nesting of JSON objects and arrays in a body; deeper answers 400.',
    INGEST_DEFAULTS.maxJsonDepth,
    { min: 8, max: 10_000 },
    'stack',
  ),
  maxClockSkewSeconds: intVar(
    INGEST_ENV.maxClockSkewSeconds,
    'Seconds meta.lastUpdated may lie ahead of the connector clock before 422.',
    INGEST_DEFAULTS.maxClockSkewSeconds,
    { min: 0, max: 7 * 24 * 3600 },
    'stack',
  ),
  publicBaseUrl: optionalVar(ENV.publicBaseUrl, 'Base URL of Location headers (unset = from the request).'),
  adminPrincipalArns: listVar(
    INGEST_ENV.adminPrincipalArns,
    'IAM mode: caller ARNs allowed the admin routes (a role ARN covers its sessions).',
  ),
  maxSubscriptions: intVar(
    INGEST_ENV.maxSubscriptions,
    'Most Subscriptions the API accepts.',
    SUBSCRIPTION_DEFAULTS.maxSubscriptions,
    { min: 1, max: 10_000 },
    'stack',
  ),
  connectorId: optionalVar(
    ENV.connectorId,
    'Connector id: the `connector` metric dimension, and derives the deployment-owned Subscription id.',
  ),
  autoSubscriptionEnabled: boolVar(
    ENV.autoSubscription,
    'The deployment owns its auto-managed Subscription: the API refuses to change or delete it.',
    false,
    'stack',
  ),
  healthLakeEndpoint: optionalVar(
    ENV.healthLakeEndpoint,
    'The primary data store: where a Subscription without channel.endpoint delivers (Smile CDR style).',
  ),
  backfillTypeOrder: listVar(
    ENV.backfillTypeOrder,
    'Type order of a backfill of everything (unset = supporting types first: Organization, Location, Practitioner, PractitionerRole, Patient).',
    'tuning',
  ),
} as const;

/** The backfill source server (shared/backfill/source/createSourceReaderFromEnv.ts). */
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
  // the cause, rather than refusing to start (shared/delivery/config.ts).
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
    'Default delivery retries before the DLQ.',
    4,
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
  secretsManagerEndpoint: endpointVar('secretsManager'),
  ...DELIVERER_SOURCE_ENV,
} as const;

/** The backfill worker Lambda (lambdas/backfill-worker). */
export const BACKFILL_WORKER_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  backfillQueueUrl: requiredVar(
    ENV.backfillQueueUrl,
    'The page-work queue (the worker enqueues next pages).',
  ),
  ...SOURCE_FHIR_ENV,
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

/** The reconcile worker Lambda (lambdas/reconcile-worker): the write pipeline, the source, HealthLake reads. */
export const RECONCILE_WORKER_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  stsEndpoint: endpointVar('sts'),
  reconcileQueueUrl: requiredVar(
    RECONCILE_ENV.queueUrl,
    'The reconcile work queue (the worker enqueues pages).',
  ),
  connectorId: DELIVERER_CONTRACT.connectorId,
  healthLakeRoleArn: DELIVERER_CONTRACT.healthLakeRoleArn,
  healthLakeExternalId: DELIVERER_CONTRACT.healthLakeExternalId,
  healthLakeSessionDurationSeconds: DELIVERER_CONTRACT.healthLakeSessionDurationSeconds,
  healthLakeRegion: optionalVar(ENV.healthLakeRegion, 'Signing region (unset = from the endpoint host).'),
  reconcileSourceRequestsPerSecond: intVar(
    RECONCILE_ENV.sourceRequestsPerSecond,
    'Source reads per second per worker (0 = unlimited); replaces SOURCE_FHIR_REQUESTS_PER_SECOND here.',
    RECONCILE_DEFAULTS.sourceRequestsPerSecond,
    { min: 0, max: 10_000 },
    'stack',
  ),
  healthLakeRequestsPerSecond: intVar(
    RECONCILE_ENV.healthLakeRequestsPerSecond,
    'HealthLake reads per second per worker (0 = unlimited; the read quota is shared).',
    RECONCILE_DEFAULTS.healthLakeRequestsPerSecond,
    { min: 0, max: 10_000 },
    'stack',
  ),
  pageSize: intVar(
    RECONCILE_ENV.pageSize,
    '`_count` of reconcile pages.',
    RECONCILE_DEFAULTS.pageSize,
    { min: 1, max: 1000 },
    'stack',
  ),
  ...RECONCILE_SOURCE_ENV,
} as const;

/** The deploy-time subscription provisioner (lambdas/subscription-provisioner). */
export const SUBSCRIPTION_PROVISIONER_CONTRACT = {
  ...AWS_RUNTIME_ENV,
  connectorId: metricDimensionConnectorId,
  dynamodbEndpoint: endpointVar('dynamodb'),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB state table.'),
} as const;

/** Every function's contract, by the name the contract test and local mode use. */
export const FUNCTION_CONTRACTS = {
  ingest: INGEST_CONTRACT,
  deliverer: DELIVERER_CONTRACT,
  backfillWorker: BACKFILL_WORKER_CONTRACT,
  reconcileWorker: RECONCILE_WORKER_CONTRACT,
  subscriptionProvisioner: SUBSCRIPTION_PROVISIONER_CONTRACT,
} as const;
