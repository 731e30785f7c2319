import { z } from 'zod';

/**
 * The connector's configuration, as a user writes it (JSON file and/or CDK context). Every option has a
 * plain-words error message; `parseConnectorConfig` reports all problems at once.
 */

/** `https://healthlake.{region}.amazonaws.com/datastore/{32 hex}/r4/` (trailing slash optional). */
export const HEALTHLAKE_ENDPOINT_PATTERN =
  /^https:\/\/healthlake\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/datastore\/([0-9a-f]{32})\/r4\/?$/;

/** The retention values CloudWatch Logs accepts (PutRetentionPolicy), never-expire excluded on purpose. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const IAM_PRINCIPAL_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;

const endpoint = z.string().regex(HEALTHLAKE_ENDPOINT_PATTERN, {
  error: 'must look like https://healthlake.{region}.amazonaws.com/datastore/{32 hex characters}/r4/',
});
const int = (min: number, max: number, what: string) =>
  z
    .number({ error: `must be a whole number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(min, { error: `must be at least ${min} (${what})` })
    .max(max, { error: `must be at most ${max} (${what})` });
const secretReference = z
  .strictObject({
    arn: z.string().regex(SECRET_ARN_PATTERN, { error: 'must be a Secrets Manager secret ARN' }).optional(),
    name: z
      .string()
      .regex(/^[\w/+=.@-]{1,512}$/, { error: 'must be a Secrets Manager secret name' })
      .optional(),
    kmsKeyArn: z
      .string()
      .regex(KMS_KEY_ARN_PATTERN, { error: 'must be a KMS key ARN (arn:aws:kms:...:key/{uuid})' })
      .optional(),
  })
  .refine((value) => (value.arn === undefined) !== (value.name === undefined), {
    error: 'give exactly one of "arn" or "name"',
  });

const crossAccountAccess = z.strictObject({
  mode: z.literal('crossAccount'),
  roleArn: z
    .string()
    .regex(ROLE_ARN_PATTERN, { error: 'must be an IAM role ARN (arn:aws:iam::{account}:role/...)' }),
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: 'must be 2-1224 characters of letters, digits and +=,.@:/-_' }),
});
const sameAccountAccess = z.strictObject({ mode: z.literal('sameAccount') });

export const connectorConfigSchema = z.strictObject({
  /** Names the deployment: stack names, STS session names, the auto-managed subscription id. */
  connectorId: z
    .string({ error: 'is required (letters, digits, "-" and "_", at most 32 characters)' })
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, {
      error: 'must start with a letter and use only letters, digits, "-" and "_" (at most 32 characters)',
    }),
  /** Account and region the connector is deployed to (explicit, so synth needs no AWS credentials). */
  account: z
    .string({ error: 'is required (12 digits)' })
    .regex(ACCOUNT_PATTERN, { error: 'must be 12 digits' }),
  region: z
    .string({ error: 'is required (e.g. us-east-1)' })
    .regex(REGION_PATTERN, { error: 'must be an AWS region such as us-east-1' }),
  healthLake: z.strictObject({
    endpoint,
    access: z.discriminatedUnion('mode', [crossAccountAccess, sameAccountAccess], {
      error: 'must be {"mode":"crossAccount","roleArn":...,"externalId":...} or {"mode":"sameAccount"}',
    }),
    /** Further data stores a Subscription may target (same account as the main one). @default [] */
    additionalAllowedEndpoints: z.array(endpoint).default([]),
    /** Customer-managed KMS key of the data store, when it has one. */
    datastoreKmsKeyArn: z
      .string()
      .regex(KMS_KEY_ARN_PATTERN, { error: 'must be a KMS key ARN (arn:aws:kms:...:key/{uuid})' })
      .optional(),
  }),
  autoSubscription: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(true),
      criteria: z.string().min(1, { error: 'must not be empty' }).default('[*]'),
    })
    .default({ enabled: true, criteria: '[*]' }),
  delivery: z
    .strictObject({
      /** Retries after the first delivery attempt; the queue's maxReceiveCount is this + 1. */
      retryCount: int(1, 1000, 'receives before the dead-letter queue').default(10),
      /** Event source mapping MaximumConcurrency: the cap on parallel HealthLake writers. */
      maxConcurrency: int(2, 1000, 'Lambda event source MaximumConcurrency').default(5),
      /** Messages per deliverer invocation (FIFO queues allow at most 10). */
      batchSize: int(1, 10, 'FIFO batch size').default(10),
      /** Deliverer Lambda timeout; the queue's visibility timeout is six times this. */
      timeoutSeconds: int(10, 900, 'deliverer timeout in seconds').default(60),
    })
    .default({ retryCount: 10, maxConcurrency: 5, batchSize: 10, timeoutSeconds: 60 }),
  backfill: z
    .strictObject({
      batchSize: int(1, 100, 'backfill batch size').default(1),
      maxBatchingWindowSeconds: int(0, 300, 'seconds to gather a backfill batch').default(0),
      maxConcurrency: int(2, 1000, 'backfill event source MaximumConcurrency').default(2),
      retryCount: int(1, 1000, 'receives before the backfill dead-letter queue').default(5),
    })
    .default({ batchSize: 1, maxBatchingWindowSeconds: 0, maxConcurrency: 2, retryCount: 5 }),
  /**
   * Reconcile (`POST [base]/$reconcile`): off by default. Enabling it gives the reconcile worker
   * HealthLake read access (ReadResource, SearchWithGet on the named data stores, through the
   * customer role in cross-account mode).
   */
  reconcile: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(false),
      maxConcurrency: int(2, 1000, 'reconcile event source MaximumConcurrency').default(2),
      retryCount: int(1, 1000, 'receives before the reconcile dead-letter queue').default(5),
      /** Per worker instance; HealthLake's read quota is shared with every other reader. */
      healthLakeRequestsPerSecond: int(0, 10_000, 'HealthLake reads per second, 0 = unlimited').default(25),
      sourceRequestsPerSecond: int(0, 10_000, 'source reads per second, 0 = unlimited').default(20),
      pageSize: int(1, 1000, 'resources per reconcile page').default(500),
    })
    .default({
      enabled: false,
      maxConcurrency: 2,
      retryCount: 5,
      healthLakeRequestsPerSecond: 25,
      sourceRequestsPerSecond: 20,
      pageSize: 500,
    }),
  sourceFhir: z
    .strictObject({
      baseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
      auth: z.enum(['none', 'bearer', 'basic', 'oauth2', 'sigv4'], {
        error: 'must be one of none, bearer, basic, oauth2, sigv4',
      }),
      secret: secretReference.optional(),
      /** `_count` added to backfill searches that have none. @default 100 (worker default) */
      pageSize: int(1, 1000, 'resources per source page').optional(),
      /** Most requests per second sent to the source server. @default 0 = unlimited */
      requestsPerSecond: int(0, 10_000, 'requests per second to the source server, 0 = unlimited').optional(),
      /** For auth "sigv4": signing service and region. @default healthlake, the deployment region */
      sigv4: z
        .strictObject({
          service: z
            .string()
            .regex(/^[a-z0-9-]+$/, { error: 'must be an AWS service signing name' })
            .optional(),
          region: z
            .string()
            .regex(REGION_PATTERN, { error: 'must be an AWS region such as us-east-1' })
            .optional(),
        })
        .optional(),
    })
    .refine((value) => !['bearer', 'basic', 'oauth2'].includes(value.auth) || value.secret !== undefined, {
      error: 'auth "bearer", "basic" and "oauth2" need "secret" ({"arn": ...} or {"name": ...})',
      path: ['secret'],
    }),
  ingest: z
    .strictObject({
      /** "bearer": the ingest Lambda checks a token from a secret; "iam": API Gateway checks SigV4. */
      authMode: z.enum(['bearer', 'iam'], { error: 'must be "bearer" or "iam"' }).default('bearer'),
      tokenSecret: secretReference.optional(),
      throttlingRateLimit: int(1, 10_000, 'requests per second, steady state').default(100),
      /**
       * Largest request body the ingest Lambda accepts. API Gateway REST takes 10 MB, but a synchronous
       * Lambda payload (body plus event envelope) is limited to 6 MB. @default 5 MiB
       */
      maxRequestBytes: int(1024, 6_000_000, 'bytes per request, below the 6 MB Lambda payload limit').default(
        5_242_880,
      ),
      throttlingBurstLimit: int(1, 5_000, 'requests, burst').default(200),
      /** Custom domain the API is published at; default: the execute-api URL from the request. */
      publicBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
      /**
       * IAM mode: the callers (IAM role or user ARNs; a role covers its sessions) granted the admin
       * scope. Every other SigV4 caller may only write. @default [] (no IAM administrators)
       */
      adminPrincipalArns: z
        .array(
          z.string().regex(IAM_PRINCIPAL_ARN_PATTERN, {
            error: 'must be an IAM role or user ARN (arn:aws:iam::{account}:role/{name})',
          }),
          { error: 'must be a list of IAM ARNs' },
        )
        .default([]),
    })
    .default({
      authMode: 'bearer',
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      maxRequestBytes: 5_242_880,
      adminPrincipalArns: [],
    })
    .refine((value) => value.authMode !== 'bearer' || value.tokenSecret !== undefined, {
      error: 'authMode "bearer" needs "tokenSecret" ({"arn": ...} or {"name": ...})',
      path: ['tokenSecret'],
    }),
  alarms: z
    .strictObject({
      email: z.email({ error: 'must be an e-mail address' }).optional(),
      oldestMessageAgeSeconds: int(60, 1_209_600, 'age of the oldest delivery message').default(900),
      delivererErrors: int(1, 100_000, 'deliverer errors per 5 minutes').default(1),
      ingest5xxRatePercent: z
        .number({ error: 'must be a number of percent' })
        .gt(0, { error: 'must be more than 0 percent' })
        .max(100, { error: 'must be at most 100 percent' })
        .default(5),
      notSupportedDropRatePercent: z
        .number({ error: 'must be a number of percent' })
        .gt(0, { error: 'must be more than 0 percent' })
        .max(100, { error: 'must be at most 100 percent' })
        .default(5),
      /** Writes matching no active Subscription per 5 minutes that fire the WritesUnmatched alarm. */
      unmatchedWrites: int(1, 1_000_000, 'unmatched writes per 5 minutes').default(1),
    })
    .default({
      oldestMessageAgeSeconds: 900,
      delivererErrors: 1,
      ingest5xxRatePercent: 5,
      notSupportedDropRatePercent: 5,
      unmatchedWrites: 1,
    }),
  subscriptions: z
    .strictObject({
      /** Most Subscriptions that may exist; a create past it answers 422. */
      maxCount: int(1, 10_000, 'Subscriptions').default(100),
    })
    .default({ maxCount: 100 }),
  logRetentionDays: z
    .number({ error: 'must be a number of days' })
    .refine((value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value), {
      error: `must be one of CloudWatch's retention values: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(365),
});

/** The configuration as written (defaults optional). */
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
/** The configuration after validation, defaults applied. */
export type ConnectorConfigValues = z.output<typeof connectorConfigSchema>;
export type SecretReference = NonNullable<ConnectorConfigValues['ingest']['tokenSecret']>;
