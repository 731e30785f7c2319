import { SQS_MAX_MESSAGE_BYTES } from '../config/constants.js';

/** Environment variables of the ingest Lambda beyond shared/config/constants.ts `ENV`. */
export const INGEST_ENV = {
  /** Largest accepted request body, bytes (default 5 MiB, under Lambda's 6 MB synchronous payload). */
  maxBodyBytes: 'INGEST_MAX_BODY_BYTES',
  /** Most entries accepted in one transaction or batch Bundle (default 1000). */
  maxBundleEntries: 'INGEST_MAX_BUNDLE_ENTRIES',
  /** `bearer` (default), `iam`, or `bearer,iam` (either is accepted). */
  authModes: 'INGEST_AUTH_MODES',
  /** Where the hashed tokens live: `secretsmanager` (default) or `ssm` (a SecureString). */
  tokenStore: 'INGEST_TOKEN_STORE',
  /** Local mode only: the hashed token list itself (JSON, as in the secret) instead of a secret. */
  tokenHashes: 'INGEST_TOKEN_HASHES',
  /** Seconds the token list is cached before it is fetched again (default 120). */
  tokenCacheSeconds: 'INGEST_TOKEN_CACHE_SECONDS',
  /** S3 server-side encryption of large payloads: `aws:kms` (default) or `AES256`. */
  payloadEncryption: 'PAYLOAD_SSE',
  /** KMS key for `aws:kms` payload encryption (default: the bucket's / AWS managed key). */
  payloadKmsKeyId: 'PAYLOAD_KMS_KEY_ID',
  /** Deepest nesting of JSON objects and arrays accepted in a body (default 100). */
  maxJsonDepth: 'INGEST_MAX_JSON_DEPTH',
  /** Seconds `meta.lastUpdated` may lie ahead of the connector's clock (default 300). */
  maxClockSkewSeconds: 'INGEST_MAX_CLOCK_SKEW_SECONDS',
  /** Run the FHIR structure validator on every resource (default true). */
  validateResources: 'INGEST_VALIDATE_RESOURCES',
  /** Comma-separated IAM ARNs granted the admin scope in IAM mode (a role ARN covers its sessions). */
  adminPrincipalArns: 'INGEST_ADMIN_PRINCIPAL_ARNS',
  /** Most Subscriptions that may exist (default 100). */
  maxSubscriptions: 'MAX_SUBSCRIPTIONS',
  /** Largest versionId jump past the recorded one without a newer lastUpdated (default 1000). */
  maxVersionJump: 'INGEST_MAX_VERSION_JUMP',
  /** Stale writes to one recorded version that count as a resource kept stale (default 3). */
  repeatedStaleWrites: 'INGEST_REPEATED_STALE_WRITES',
} as const;

export const INGEST_DEFAULTS = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxBundleEntries: 1000,
  /** Generous for real FHIR: deep Questionnaire items and nested extensions stay far below it. */
  maxJsonDepth: 100,
  maxClockSkewSeconds: 300,
  /**
   * A numeric versionId may jump this far past the recorded one (versions the connector never saw);
   * further only with a newer meta.lastUpdated of its own.
   */
  maxVersionJump: 1000,
  /** The third stale write to the same recorded version is reported (RepeatedStaleWrites). */
  repeatedStaleWrites: 3,
  tokenCacheSeconds: 120,
  /** SendMessageBatch: at most 10 entries and 1 MiB (sum of bodies, the same as one message) per call. */
  sqsBatchEntries: 10,
  sqsBatchBytes: SQS_MAX_MESSAGE_BYTES,
  /** Attempts for entries SQS reports as Failed before the request fails (5xx). */
  enqueueAttempts: 4,
  enqueueBackoffMs: 50,
  /** SendMessageBatch calls in flight at once for one request. */
  sendConcurrency: 8,
  /** Writes to distinct resources recorded concurrently within one request. */
  recordConcurrency: 16,
} as const;

/** Resource types a producer cannot write through the pipeline (handled elsewhere or not data). */
export const NON_CLINICAL_TYPES: ReadonlySet<string> = new Set([
  'Subscription',
  'OperationOutcome',
  'Bundle',
  'Parameters',
  'CapabilityStatement',
]);
