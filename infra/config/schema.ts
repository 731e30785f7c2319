import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import { DEFAULT_DELIVERY_RETRY_COUNT } from '../../shared/delivery/constants.js';
import { MODULE_ID_PATTERN } from '../../shared/subscriptions/moduleEndpoints.js';
import {
  LAMBDA_FUNCTION_ARN_PATTERN,
  TRANSFORM_NAME_PATTERN,
} from '../../shared/subscriptions/transforms.js';
import {
  HEALTHLAKE_MAX_BUNDLE_ENTRIES,
  MAX_CONFIGURABLE_BUNDLE_ENTRIES,
} from '../../shared/healthlake/constants.js';
import { R4_SEARCH_PARAMETERS } from '../../shared/criteria/r4SearchParameters.generated.js';
import { FHIR_ID_PATTERN } from '../../shared/fhir/ids.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_SOURCE_REQUESTS_PER_SECOND,
} from '../../shared/fhirClient/constants.js';
import { MAX_RESPONSE_BYTES_RANGE } from '../../shared/runtime/sourceFhirEnv.js';
import { SQL_IDENTIFIER_PATTERN } from '../../shared/sqlTarget/constants.js';
import { SQL_TARGET_NAME_PATTERN } from '../../shared/subscriptions/sqlEndpoint.js';

const R4_TYPES: ReadonlySet<string> = new Set(R4_SEARCH_PARAMETERS.resourceTypes);

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

/** Levels both Powertools (POWERTOOLS_LOG_LEVEL) and Lambda's application log filter accept. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** WAF rate-based rule evaluation windows (seconds) AWS WAF accepts. */
export const WAF_RATE_WINDOWS_SECONDS = [60, 120, 300, 600] as const;

const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
/** `arn:...:role/{path/}{name}`: IAM allows a path of up to 512 characters and a name of up to 64. */
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/){0,50}[\w+=,.@-]{1,64}$/;
/** A role or user ARN (`{path/}{name}`, the same limits). */
const IAM_PRINCIPAL_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/(?:[\w+=,.@-]+\/){0,50}[\w+=,.@-]{1,64}$/;
/** An IPv4 or IPv6 address range in CIDR notation. */
const CIDR_PATTERN =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(?:3[0-2]|[12]?\d)|[0-9a-fA-F:]*:[0-9a-fA-F:]*\/(?:12[0-8]|1[01]\d|[1-9]?\d))$/;
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;

/** An endpoint with its one trailing slash, so `.../r4` and `.../r4/` compare equal. */
const withSlash = (url: string): string => url.replace(/\/?$/, '/');

const endpoint = z.string().regex(HEALTHLAKE_ENDPOINT_PATTERN, {
  error: 'must look like https://healthlake.{region}.amazonaws.com/datastore/{32 hex characters}/r4/',
});
const kmsKeyArn = z
  .string()
  .regex(KMS_KEY_ARN_PATTERN, { error: 'must be a KMS key ARN (arn:{partition}:kms:...:key/{uuid})' });

/** The region of a HealthLake endpoint (undefined when it is not one). */
export const endpointRegion = (value: string): string | undefined =>
  HEALTHLAKE_ENDPOINT_PATTERN.exec(value)?.[1];
/** The region of a KMS key ARN. */
const keyRegion = (arn: string): string | undefined => arn.split(':')[3];
const KEY_REGION_ERROR =
  "must be a key in the data store's region (HealthLake uses keys of its own region only)";

/** A further data store: its endpoint, or the endpoint with the data store's customer-managed key. */
const additionalEndpoint = z.union(
  [
    endpoint,
    z
      .strictObject({ endpoint, datastoreKmsKeyArn: kmsKeyArn.optional() })
      .refine(
        (value) =>
          value.datastoreKmsKeyArn === undefined ||
          keyRegion(value.datastoreKmsKeyArn) === endpointRegion(value.endpoint),
        { error: KEY_REGION_ERROR, path: ['datastoreKmsKeyArn'] },
      ),
  ],
  {
    error:
      'must be a data store endpoint, or {"endpoint": ..., "datastoreKmsKeyArn": ...} for one with a customer-managed key',
  },
);
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
    kmsKeyArn: kmsKeyArn.optional(),
  })
  .refine((value) => (value.arn === undefined) !== (value.name === undefined), {
    error: 'give exactly one of "arn" or "name"',
  });

/** `postgres://user@host:port/database`: a host and a database, and never a password (auth gives it). */
const postgresUrl = z
  .string({ error: 'must be a postgres://user@host:port/database URL' })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          ['postgres:', 'postgresql:'].includes(url.protocol) &&
          url.hostname !== '' &&
          url.username !== '' &&
          /^\/[^/]+$/.test(url.pathname) &&
          url.search === ''
        );
      } catch {
        return false;
      }
    },
    { error: 'must be a postgres://user@host:port/database URL (user and database named, no query)' },
  )
  .refine(
    (value) => {
      try {
        return new URL(value).password === '';
      } catch {
        return true;
      }
    },
    { error: 'must not hold a password: give it in "secret" (or use "auth": "iam")' },
  );

/** Aurora Serverless v2 capacity: ACUs in steps of 0.5, at most 256 (RDS's limits). */
const acu = (min: number, what: string) =>
  z
    .number({ error: `must be a number of ACUs (${what})` })
    .min(min, { error: `must be at least ${min} ACU (${what})` })
    .max(256, { error: `must be at most 256 ACU (${what}, Aurora Serverless v2's limit)` })
    .multipleOf(0.5, { error: `must be a multiple of 0.5 ACU (${what})` });

/**
 * `sqlTarget.createCluster`: the stack creates the database, an Aurora Serverless v2 PostgreSQL cluster
 * behind an RDS Proxy in the configured subnets, and points the writer at the proxy (IAM auth, TLS).
 */
const createCluster = z.strictObject({
  /** The database the cluster creates and the writer uses. @default "fhir" */
  databaseName: z
    .string()
    .regex(SQL_IDENTIFIER_PATTERN, { error: 'must be a lower case SQL identifier' })
    .default('fhir'),
  /** The admin user RDS creates (password generated into a Secrets Manager secret); the writer's user. @default "hlc_admin" */
  adminUser: z
    .string()
    .regex(SQL_IDENTIFIER_PATTERN, { error: 'must be a lower case SQL identifier' })
    .refine((value) => !['postgres', 'rdsadmin', 'admin', 'public'].includes(value), {
      error: 'must not be a name PostgreSQL or RDS reserves (postgres, rdsadmin, admin, public)',
    })
    .default('hlc_admin'),
  /** Lowest capacity, billed every hour (RDS Proxy's connections keep the cluster from pausing at 0). @default 0.5 */
  minCapacityAcu: acu(0.5, 'Serverless v2 minimum capacity').default(0.5),
  /** Highest capacity it scales to. @default 4 */
  maxCapacityAcu: acu(1, 'Serverless v2 maximum capacity').default(4),
  /** Days of automated backups. @default 7 */
  backupRetentionDays: int(1, 35, 'days of automated backups, RDS allows 1-35').default(7),
  /** Refuse to delete the cluster (set false, deploy, then destroy to remove it). @default true */
  deletionProtection: z.boolean({ error: 'must be true or false' }).default(true),
  /** What a stack deletion leaves: a final snapshot or the whole cluster. @default "snapshot" */
  removalPolicy: z
    .enum(['snapshot', 'retain'], { error: 'must be "snapshot" or "retain"' })
    .default('snapshot'),
});

/** Why an option of an existing database has no place beside `createCluster`. */
const NOT_WITH_CREATED_CLUSTER =
  'is not used with "createCluster": the writer reaches the created cluster through its RDS Proxy with IAM authentication';

/**
 * The SQL target (seed 000's relational export): an existing PostgreSQL (RDS, Aurora or any) the SQL
 * writer reaches from inside the VPC, with a Secrets Manager secret or RDS IAM authentication; or one the
 * stack creates (`createCluster`).
 */
const sqlTarget = z
  .strictObject({
    /** Subscriptions deliver to it with `channel.endpoint` `sql://<name>`. @default "warehouse" */
    name: z
      .string()
      .regex(SQL_TARGET_NAME_PATTERN, {
        error: 'must be lower case letters, digits and "-", a letter first, at most 63 characters',
      })
      .default('warehouse'),
    /** An existing database; exactly one of `url` and `createCluster`. */
    url: postgresUrl.optional(),
    /** The stack creates Aurora Serverless v2 PostgreSQL with RDS Proxy; exactly one of `url` and it. */
    createCluster: createCluster.optional(),
    /** `secret`: the password of a Secrets Manager secret (RDS's JSON); `iam`: an RDS IAM token. @default "secret" ("iam" with createCluster) */
    auth: z.enum(['secret', 'iam'], { error: 'must be "secret" or "iam"' }).optional(),
    secret: secretReference.optional(),
    /** For auth "iam": the DbiResourceId (db-..., cluster-...) or RDS Proxy id (prx-...) rds-db:connect names. */
    iamResourceId: z
      .string()
      .regex(/^(db|cluster|prx)-[A-Za-z0-9]{1,64}$/, {
        error: 'must be an RDS resource id (db-..., cluster-... or prx-...)',
      })
      .optional(),
    /** TLS: verify-full checks the certificate (Lambda's RDS CA bundle) and host name. @default verify-full */
    tls: z
      .enum(['verify-full', 'require'], { error: 'must be "verify-full" or "require"' })
      .default('verify-full'),
    /**
     * The VPC the writer runs in to reach the database (it needs routes to SQS, S3 and Secrets Manager);
     * with `createCluster`, the cluster and proxy go in its subnets too.
     */
    vpc: z.strictObject(
      {
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'must be a VPC id (vpc-...)' }),
        subnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'must be a subnet id (subnet-...)' }))
          .min(1, { error: 'must list at least one private subnet' })
          .max(16, { error: 'must list at most 16 subnets (Lambda)' }),
        /** The writer's security groups; with `createCluster` optional (the stack adds one of its own). */
        securityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { error: 'must be a security group id (sg-...)' }))
          .min(1, { error: 'must list at least one security group (or leave it out with createCluster)' })
          .max(5, { error: 'must list at most 5 security groups (Lambda)' })
          .optional(),
      },
      {
        error:
          'is required: {"vpcId", "subnetIds", "securityGroupIds"} of the database\'s network (securityGroupIds optional with createCluster)',
      },
    ),
    /** PostgreSQL schema of the tables. @default the mapping's ("public") */
    schema: z
      .string()
      .regex(SQL_IDENTIFIER_PATTERN, { error: 'must be a lower case SQL identifier' })
      .optional(),
    /** A mapping file (JSON or YAML, path from the project root) bundled with the writer. @default the built-in transformers */
    mappingFile: z
      .string()
      .regex(/^(?!\/)(?!.*\.\.)[\w./-]{1,200}\.(json|ya?ml)$/, {
        error: 'must be a relative path to a .json, .yaml or .yml file inside the project',
      })
      .optional(),
    /** Run the mapping's DDL (CREATE ... IF NOT EXISTS) at cold start; else only check. @default false */
    applySchema: z.boolean({ error: 'must be true or false' }).default(false),
    /** Event source MaximumConcurrency: parallel writers, each with its own pool. @default 2 */
    maxConcurrency: int(2, 1000, 'SQL writer event source MaximumConcurrency').default(2),
    /** Connections per writer instance. @default 2 */
    maxConnections: int(1, 20, 'connections per SQL writer instance').default(2),
    /** Name and reuse prepared statements (off behind RDS Proxy or pgbouncer). @default false */
    prepareStatements: z.boolean({ error: 'must be true or false' }).default(false),
    /** Messages per invocation (FIFO queues allow at most 10). @default 10 */
    batchSize: int(1, 10, 'FIFO batch size').default(10),
    /** Writer timeout; the SQL queue's visibility timeout is six times it. @default 60 */
    timeoutSeconds: int(10, 900, 'SQL writer timeout in seconds, Lambda allows at most 900').default(60),
    /** Writer memory, MB (FHIRPath mapping is CPU work, which scales with memory). @default 1024 */
    memorySizeMb: int(128, 10_240, 'SQL writer memory in MB, Lambda allows 128-10240').default(1024),
  })
  .superRefine((value, context) => {
    const problem = (path: string[], message: string) => context.addIssue({ code: 'custom', message, path });
    const cluster = value.createCluster;
    if (cluster === undefined) {
      if (value.url === undefined) {
        problem(
          ['url'],
          'is required: give "url" (an existing database) or "createCluster" (the stack creates Aurora Serverless v2 PostgreSQL with RDS Proxy)',
        );
        return;
      }
      const auth = value.auth ?? 'secret';
      if (auth === 'secret' && value.secret === undefined) {
        problem(
          ['secret'],
          'auth "secret" needs "secret" ({"arn": ...} or {"name": ...}) holding {"password": ...}',
        );
      }
      if (auth === 'iam' && value.iamResourceId === undefined) {
        problem(
          ['iamResourceId'],
          'auth "iam" needs "iamResourceId" (the database\'s DbiResourceId, cluster resource id or proxy id)',
        );
      }
      if (value.vpc.securityGroupIds === undefined) {
        problem(
          ['vpc', 'securityGroupIds'],
          'is required with "url": the security groups that reach the database',
        );
      }
      return;
    }
    if (value.url !== undefined) {
      problem(
        ['createCluster'],
        'cannot be used with "url": give "url" for an existing database or "createCluster" for one the stack creates, not both',
      );
    }
    for (const key of ['auth', 'secret', 'iamResourceId'] as const) {
      if (value[key] !== undefined) problem([key], NOT_WITH_CREATED_CLUSTER);
    }
    if (value.prepareStatements) {
      problem(
        ['prepareStatements'],
        'must be false with "createCluster": RDS Proxy pins every connection that prepares statements',
      );
    }
    if ((value.vpc.securityGroupIds?.length ?? 0) > 4) {
      problem(
        ['vpc', 'securityGroupIds'],
        'must list at most 4 security groups with "createCluster" (Lambda allows 5 and the stack adds the writer\'s own)',
      );
    }
    if (value.vpc.subnetIds.length < 2) {
      problem(
        ['vpc', 'subnetIds'],
        'must list at least two subnets in different Availability Zones with "createCluster" (Aurora and RDS Proxy need two)',
      );
    }
    if (cluster.minCapacityAcu > cluster.maxCapacityAcu) {
      problem(['createCluster', 'minCapacityAcu'], 'must not be more than createCluster.maxCapacityAcu');
    }
  })
  .transform((value) => ({
    ...value,
    auth: value.auth ?? (value.createCluster === undefined ? ('secret' as const) : ('iam' as const)),
  }));

const crossAccountAccess = z.strictObject({
  mode: z.literal('crossAccount'),
  roleArn: z.string().regex(ROLE_ARN_PATTERN, {
    error:
      'must be an IAM role ARN (arn:{partition}:iam::{account}:role/{path/}{name of at most 64 characters})',
  }),
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: 'must be 2-1224 characters of letters, digits and +=,.@:/-_' }),
  /** STS session length; a Lambda assuming a role is role chaining, which AWS caps at one hour. */
  sessionDurationSeconds: int(900, 3600, 'STS session seconds; role chaining allows at most 3600').default(
    3600,
  ),
});
const sameAccountAccess = z.strictObject({ mode: z.literal('sameAccount') });

export const connectorConfigSchema = z
  .strictObject({
    /**
     * Names the deployment: every name in infra/config/connectorNames.ts (the README's naming table),
     * each valid in every region for any id this accepts (test/infra/connectorNames.test.ts).
     */
    connectorId: z
      .string({ error: 'is required (1-32 characters: a letter, then letters, digits, "-" and "_")' })
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, {
        error: 'must start with a letter and use only letters, digits, "-" and "_" (1-32 characters)',
      }),
    /** Account and region the connector is deployed to (explicit, so synth needs no AWS credentials). */
    account: z
      .string({ error: 'is required (12 digits)' })
      .regex(ACCOUNT_PATTERN, { error: 'must be 12 digits' }),
    region: z
      .string({ error: 'is required (e.g. us-east-1)' })
      .regex(REGION_PATTERN, { error: 'must be an AWS region such as us-east-1' }),
    healthLake: z
      .strictObject({
        endpoint,
        access: z.discriminatedUnion('mode', [crossAccountAccess, sameAccountAccess], {
          error: 'must be {"mode":"crossAccount","roleArn":...,"externalId":...} or {"mode":"sameAccount"}',
        }),
        /**
         * Further data stores a Subscription may target (same account as the main one, any region): an
         * endpoint, or `{"endpoint", "datastoreKmsKeyArn"}` for a data store with its own key. @default []
         */
        additionalAllowedEndpoints: z.array(additionalEndpoint).default([]),
        /**
         * Customer-managed KMS key of the main data store, when it has one: the deliverer (same account)
         * or the customer role is granted kms:DescribeKey, kms:GenerateDataKey and kms:CreateGrant on it.
         */
        datastoreKmsKeyArn: kmsKeyArn.optional(),
        /**
         * Most entries in one Bundle the connector sends to HealthLake (payload search's transaction).
         * AWS's general reference says 160; a newer quota page is reported to say 500. @default 160
         */
        maxBundleEntries: int(
          1,
          MAX_CONFIGURABLE_BUNDLE_ENTRIES,
          "entries per Bundle, HealthLake's quota (160 in AWS's general reference)",
        ).default(HEALTHLAKE_MAX_BUNDLE_ENTRIES),
        /**
         * Smile HealthLake module id -> data store (one of the endpoints above): a Subscription with
         * Smile's awshealthlake-sender-module-id and no channel.endpoint goes to its module's data store;
         * once any is listed, an unknown module id is refused. @default {}
         */
        moduleEndpoints: z
          .record(
            z.string().regex(MODULE_ID_PATTERN, {
              error: 'module ids are 1-64 letters, digits, "_", "." or "-" (a Smile CDR module id)',
            }),
            endpoint,
          )
          .default({}),
      })
      .refine(
        (value) => {
          const allowed = new Set(
            [
              value.endpoint,
              ...value.additionalAllowedEndpoints.map((entry) =>
                typeof entry === 'string' ? entry : entry.endpoint,
              ),
            ].map(withSlash),
          );
          return Object.values(value.moduleEndpoints).every((target) => allowed.has(withSlash(target)));
        },
        {
          error:
            'each module must map to healthLake.endpoint or one of healthLake.additionalAllowedEndpoints',
          path: ['moduleEndpoints'],
        },
      )
      .refine(
        (value) =>
          value.datastoreKmsKeyArn === undefined ||
          keyRegion(value.datastoreKmsKeyArn) === endpointRegion(value.endpoint),
        { error: KEY_REGION_ERROR, path: ['datastoreKmsKeyArn'] },
      )
      .superRefine((value, context) => {
        // One data store, one key: the same endpoint listed twice must not name two different keys.
        const keys = new Map<string, string>();
        const entries = [
          { endpoint: value.endpoint, datastoreKmsKeyArn: value.datastoreKmsKeyArn },
          ...value.additionalAllowedEndpoints.map((entry) =>
            typeof entry === 'string' ? { endpoint: entry, datastoreKmsKeyArn: undefined } : entry,
          ),
        ];
        entries.forEach(({ endpoint: url, datastoreKmsKeyArn }, index) => {
          if (datastoreKmsKeyArn === undefined) return;
          const known = keys.get(normalizedEndpoint(url));
          if (known !== undefined && known !== datastoreKmsKeyArn) {
            context.addIssue({
              code: 'custom',
              message: 'names a data store listed before with another key (give each data store one key)',
              path: ['additionalAllowedEndpoints', index - 1, 'datastoreKmsKeyArn'],
            });
          }
          keys.set(normalizedEndpoint(url), datastoreKmsKeyArn);
        });
      }),
    autoSubscription: z
      .strictObject({
        enabled: z.boolean({ error: 'must be true or false' }).default(true),
        criteria: z.string().min(1, { error: 'must not be empty' }).default('[*]'),
      })
      .default({ enabled: true, criteria: '[*]' }),
    delivery: z
      .strictObject({
        /**
         * Retries after the first delivery attempt, counted per message by the deliverer (held-back and
         * deferred receives do not count), and the most a Subscription's delivery-retry-count gets; the
         * queue's maxReceiveCount is a fixed backstop of 1000. @default 20 (seed 003 asks for 20)
         */
        retryCount: int(1, 999, 'retries, counted per message by the deliverer').default(
          DEFAULT_DELIVERY_RETRY_COUNT,
        ),
        /** Event source mapping MaximumConcurrency: the cap on parallel HealthLake writers. */
        maxConcurrency: int(2, 1000, 'Lambda event source MaximumConcurrency').default(10),
        /** Deliverer memory, MB (`npm run bench -- cost`: it waits on HealthLake, 512 MB is ample). */
        memorySizeMb: int(128, 10_240, 'deliverer memory in MB, Lambda allows 128-10240').default(512),
        /** Messages per deliverer invocation (FIFO queues allow at most 10). */
        batchSize: int(1, 10, 'FIFO batch size').default(10),
        /** Deliverer Lambda timeout (Lambda allows 900 s); the queue's visibility timeout is six times this. */
        timeoutSeconds: int(10, 900, 'deliverer timeout in seconds, Lambda allows at most 900').default(60),
        /** Delay before the first retry of a transient failure, seconds. @default 2 */
        retryBaseDelaySeconds: int(0, 43_200, 'first retry delay in seconds').default(2),
        /** Largest retry delay, seconds (SQS visibility allows 12 hours). @default 300 */
        retryMaxDelaySeconds: int(0, 43_200, 'largest retry delay in seconds').default(300),
        /** `exponential` (doubling, with jitter) or `fixed` (the base delay every time). @default exponential */
        retryStrategy: z
          .enum(['exponential', 'fixed'], { error: 'must be exponential or fixed' })
          .default('exponential'),
        /**
         * Delivery transforms a Subscription may name (the subscription-transform extension): name ->
         * the Lambda function that runs it. The deliverer may invoke exactly these functions. @default {}
         */
        transforms: z
          .record(
            z.string().regex(TRANSFORM_NAME_PATTERN, {
              error: 'transform names are 1-64 letters, digits, "_" or "-"',
            }),
            z.string().regex(LAMBDA_FUNCTION_ARN_PATTERN, {
              error:
                'must be a Lambda function ARN (arn:{partition}:lambda:{region}:{account}:function:{name}[:{alias}])',
            }),
          )
          .default({}),
        /** The longest one transform may take (it gets at most half of what the invocation has left). @default 5 */
        transformTimeoutSeconds: int(1, 60, 'seconds one transform may take').default(5),
        /**
         * Deploy the delivery switch off (the deliverer's event source mapping disabled): a deploy during
         * `hlc delivery pause` keeps delivery paused only when this says so. @default false
         */
        paused: z.boolean({ error: 'must be true or false' }).default(false),
      })
      .default({
        retryCount: DEFAULT_DELIVERY_RETRY_COUNT,
        maxConcurrency: 10,
        memorySizeMb: 512,
        batchSize: 10,
        timeoutSeconds: 60,
        retryBaseDelaySeconds: 2,
        retryMaxDelaySeconds: 300,
        retryStrategy: 'exponential',
        transforms: {},
        transformTimeoutSeconds: 5,
        paused: false,
      })
      .refine((value) => value.retryMaxDelaySeconds >= value.retryBaseDelaySeconds, {
        error: 'must be at least retryBaseDelaySeconds (the first retry delay)',
        path: ['retryMaxDelaySeconds'],
      }),
    backfill: z
      .strictObject({
        /** Page messages per worker invocation; Lambda takes more than 10 only with a batching window. */
        batchSize: int(1, 100, 'backfill batch size').default(1),
        maxBatchingWindowSeconds: int(
          0,
          300,
          'seconds to gather a backfill batch, Lambda allows 300',
        ).default(0),
        maxConcurrency: int(2, 1000, 'backfill event source MaximumConcurrency').default(2),
        /** The backfill queue's redrive maxReceiveCount (SQS allows 1-1000). */
        retryCount: int(1, 1000, 'receives before the backfill dead-letter queue').default(5),
      })
      .default({ batchSize: 1, maxBatchingWindowSeconds: 0, maxConcurrency: 2, retryCount: 5 })
      .refine((value) => value.batchSize <= 10 || value.maxBatchingWindowSeconds >= 1, {
        error: 'more than 10 needs "maxBatchingWindowSeconds" of at least 1 (Lambda SQS event source rule)',
        path: ['batchSize'],
      }),
    /**
     * Reconcile (`POST [base]/$reconcile`): off by default. Enabling it gives the reconcile worker
     * HealthLake read access (ReadResource, SearchWithGet on the named data stores, through the
     * customer role in cross-account mode).
     */
    reconcile: z
      .strictObject({
        enabled: z.boolean({ error: 'must be true or false' }).default(false),
        maxConcurrency: int(2, 1000, 'reconcile event source MaximumConcurrency').default(2),
        /** The reconcile queue's redrive maxReceiveCount (SQS allows 1-1000). */
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
    /**
     * Backport notifications in (Subscriptions Backport IG, R4): the topic-based Subscriptions on the
     * source server whose channel.endpoint is `[base]/$subscription-notification`. Empty: the endpoint
     * refuses every notification and no heartbeat check is deployed.
     */
    notifications: z
      .strictObject({
        sources: z
          .array(
            z.strictObject({
              /** The source Subscription's id. */
              subscription: z
                .string()
                .regex(FHIR_ID_PATTERN, { error: 'must be a FHIR id ([A-Za-z0-9-.]{1,64})' }),
              /** The topic's resource types, read by history `_since` in a catch-up. @default [] = reconcile compares */
              resourceTypes: z
                .array(
                  z.string().refine((type) => R4_TYPES.has(type), { error: 'must be an R4 resource type' }),
                )
                .default([]),
              /** The heartbeat period the Subscription asks for (backport-heartbeat-period). @default none */
              heartbeatPeriodSeconds: int(1, 86_400, 'seconds between heartbeats').optional(),
              /** The source serves `Subscription/{id}/$events`. @default false (HAPI FHIR does not) */
              events: z.boolean({ error: 'must be true or false' }).default(false),
            }),
          )
          .max(100, { error: 'must list at most 100 source Subscriptions' })
          .refine((list) => new Set(list.map((item) => item.subscription)).size === list.length, {
            error: 'lists a source Subscription twice',
          })
          .default([]),
        /** Origins absolute URLs in notifications may point at. @default the sourceFhir.baseUrl origin */
        allowedOrigins: z
          .array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
          .max(20, { error: 'must list at most 20 origins' })
          .optional(),
        /** Seconds a catch-up searches before the last point known good. */
        catchUpMarginSeconds: int(0, 86_400, 'catch-up margin seconds').default(300),
        /** Seconds a skipped event number may still arrive (overtaken, not lost) before it is a gap. */
        gapGraceSeconds: int(0, 3600, 'gap grace seconds').default(30),
        /** Seconds past the heartbeat period before a heartbeat is missed. @default one period, at least 30 */
        heartbeatToleranceSeconds: int(0, 86_400, 'heartbeat tolerance seconds').optional(),
        /** Minutes between heartbeat checks (the scheduled Lambda). */
        checkIntervalMinutes: int(1, 60, 'minutes between heartbeat checks').default(1),
      })
      .default({ sources: [], catchUpMarginSeconds: 300, gapGraceSeconds: 30, checkIntervalMinutes: 1 }),
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
        requestsPerSecond: int(0, 10_000, 'requests per second to the source server, 0 = unlimited').default(
          DEFAULT_SOURCE_REQUESTS_PER_SECOND,
        ),
        /**
         * Largest response body read from the source (and, in reconcile, from HealthLake); past it the read
         * fails permanently with that cause. @default 33554432 (32 MiB)
         */
        maxResponseBytes: int(
          MAX_RESPONSE_BYTES_RANGE.min,
          MAX_RESPONSE_BYTES_RANGE.max,
          'bytes per response body, 64 KiB to 1 GiB',
        ).default(DEFAULT_MAX_RESPONSE_BYTES),
        /**
         * Client-certificate (mutual) TLS: a secret holding `{"cert": PEM, "key": PEM, "ca"?: PEM}` (or a
         * `ca` alone for a server certificate from a private CA). @default none
         */
        tls: z.strictObject({ secret: secretReference }).optional(),
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
        /**
         * For a HealthLake source (auth "sigv4"): the source data store's customer-managed key, which its
         * readers may decrypt through HealthLake. @default none
         */
        datastoreKmsKeyArn: kmsKeyArn.optional(),
      })
      .refine((value) => !['bearer', 'basic', 'oauth2'].includes(value.auth) || value.secret !== undefined, {
        error: 'auth "bearer", "basic" and "oauth2" need "secret" ({"arn": ...} or {"name": ...})',
        path: ['secret'],
      })
      .refine(
        (value) =>
          value.datastoreKmsKeyArn === undefined ||
          (value.auth === 'sigv4' && keyRegion(value.datastoreKmsKeyArn) === endpointRegion(value.baseUrl)),
        {
          error:
            'needs auth "sigv4" and a HealthLake baseUrl, and must be a key in that data store\'s region',
          path: ['datastoreKmsKeyArn'],
        },
      ),
    ingest: z
      .strictObject({
        /** "bearer": the ingest Lambda checks a token from a secret; "iam": API Gateway checks SigV4. */
        authMode: z.enum(['bearer', 'iam'], { error: 'must be "bearer" or "iam"' }).default('bearer'),
        tokenSecret: secretReference.optional(),
        /** Stage throttling; API Gateway's default account quota is 10,000 requests/s, burst 5,000. */
        throttlingRateLimit: int(1, 10_000, 'requests per second, steady state').default(100),
        /**
         * Largest request body the ingest Lambda accepts. API Gateway REST takes 10 MB, but a synchronous
         * Lambda payload (body plus event envelope) is limited to 6 MB. @default 5 MiB
         */
        maxRequestBytes: int(
          1024,
          6_000_000,
          'bytes per request, below the 6 MB Lambda payload limit',
        ).default(5_242_880),
        /** Deepest JSON nesting the ingest API accepts (400 past it); generous for real FHIR. */
        maxJsonDepth: int(8, 10_000, 'levels of JSON nesting').default(100),
        /** How far ahead of now a `meta.lastUpdated` may be (422 past it). */
        maxClockSkewSeconds: int(0, 604_800, 'seconds of clock skew').default(300),
        /**
         * How far a numeric `meta.versionId` may jump past the recorded one without a newer
         * `meta.lastUpdated` of its own (422 past it): a forged version would pin the resource.
         */
        maxVersionJump: int(1, 1_000_000_000, 'versions').default(1000),
        throttlingBurstLimit: int(1, 5_000, 'requests, burst').default(200),
        /** Custom domain the API is published at; default: the execute-api URL from the request. */
        publicBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
        /**
         * API Gateway execution logs (ERROR or INFO, never request bodies) to a log group the stack
         * creates with retention and the key. They need the account-level API Gateway CloudWatch role:
         * set "apiGatewayAccountRole" or have one in the account. @default "off" (access logs only)
         */
        executionLogs: z
          .enum(['off', 'error', 'info'], { error: 'must be "off", "error" or "info"' })
          .default('off'),
        /**
         * Create (and replace) the account-wide AWS::ApiGateway::Account CloudWatch role, which every API
         * in the account and region shares. @default false
         */
        apiGatewayAccountRole: z.boolean({ error: 'must be true or false' }).default(false),
        /** An AWS WAF web ACL on the stage with a per-source-IP rate-based rule. @default none */
        waf: z
          .strictObject({
            /** Requests one source IP may send per evaluation window before WAF blocks it (WAF: 10 to 2e9). */
            rateLimit: int(10, 2_000_000_000, 'requests per source IP per evaluation window').default(2_000),
            /** @default 300 */
            evaluationWindowSeconds: z
              .union(
                WAF_RATE_WINDOWS_SECONDS.map((seconds) => z.literal(seconds)),
                { error: `must be one of ${WAF_RATE_WINDOWS_SECONDS.join(', ')} (WAF evaluation windows)` },
              )
              .default(300),
          })
          .optional(),
        /**
         * Source IP ranges (CIDR) allowed to call the API, as an API resource policy. As many as fit in the
         * policy's 8,192 characters (infra/limits/deployLimitProblems.ts measures it). @default any
         */
        allowedSourceCidrs: z
          .array(z.string().regex(CIDR_PATTERN, { error: 'must be an IPv4 or IPv6 range in CIDR notation' }))
          .min(1, { error: 'must list at least one range (leave it out to allow any source)' })
          .optional(),
        /**
         * IAM mode: the callers (IAM role or user ARNs; a role covers its sessions) granted the admin
         * scope. Every other SigV4 caller may only write. @default [] (no IAM administrators)
         */
        adminPrincipalArns: z
          .array(
            z.string().regex(IAM_PRINCIPAL_ARN_PATTERN, {
              error: 'must be an IAM role or user ARN (arn:{partition}:iam::{account}:role/{name})',
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
        maxJsonDepth: 100,
        maxClockSkewSeconds: 300,
        maxVersionJump: 1000,
        executionLogs: 'off',
        apiGatewayAccountRole: false,
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
        /** Signs of lost backport notifications per 5 minutes that fire the MissedNotifications alarm. */
        missedNotifications: int(1, 1_000_000, 'missed notifications per 5 minutes').default(1),
        /**
         * Age of the oldest dead letter that fires each DLQ's age alarm (dead letters expire after the
         * DLQ's 14-day retention). @default 86400 (one day)
         */
        deadLetterAgeSeconds: int(60, 1_209_600, 'age of the oldest dead letter').default(86_400),
        /**
         * Stale writes to one recorded version of one resource from which the RepeatedStaleWrites alarm
         * fires (the resource may be pinned by a forged or restored version).
         */
        staleWritesPerResource: int(1, 1000, 'stale writes to one resource version').default(3),
      })
      .default({
        oldestMessageAgeSeconds: 900,
        delivererErrors: 1,
        ingest5xxRatePercent: 5,
        notSupportedDropRatePercent: 5,
        unmatchedWrites: 1,
        missedNotifications: 1,
        deadLetterAgeSeconds: 86_400,
        staleWritesPerResource: 3,
      }),
    subscriptions: z
      .strictObject({
        /** Most Subscriptions that may exist; a create past it answers 422. */
        maxCount: int(1, 10_000, 'Subscriptions').default(100),
      })
      .default({ maxCount: 100 }),
    /**
     * The SQL target Subscriptions may deliver to as `sql://<name>`: its own FIFO queue, DLQ and SQL
     * writer Lambda in the database's VPC. @default none
     */
    sqlTarget: sqlTarget.optional(),
    logRetentionDays: z
      .number({ error: 'must be a number of days' })
      .refine((value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value), {
        error: `must be one of CloudWatch's retention values: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(365),
    /**
     * Log level of every connector function (POWERTOOLS_LOG_LEVEL and Lambda's application log filter):
     * "debug" is the troubleshooting log. @default "info"
     */
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  })
  // IAM role names are at most 64 characters: the deliverer's is hlc-{connectorId}-deliverer-{region}.
  .refine((value) => `hlc-${value.connectorId}-deliverer-${value.region}`.length <= 64, {
    error: 'with this region, at most 64 - 15 - (region length) characters (it names the deliverer IAM role)',
    path: ['connectorId'],
  })
  .superRefine((value, context) => {
    // Every ARN names a resource of the connector's partition: the stack builds its own ARNs with it.
    const partition = RegionInfo.get(value.region).partition;
    if (partition === undefined) return;
    for (const { path, arn } of configuredArns(value)) {
      const given = arn.split(':')[1];
      if (given !== partition) {
        context.addIssue({
          code: 'custom',
          message: `must be an ARN of partition ${partition} (arn:${partition}:...), the partition of region ${value.region}`,
          path,
        });
      }
    }
  });

/** `https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/`, with exactly one trailing slash. */
export const normalizedEndpoint = (value: string): string => `${value.replace(/\/+$/, '')}/`;

/** The options that hold ARNs (the validated configuration has this shape). */
interface ArnOptions {
  readonly healthLake: {
    readonly access: { readonly mode: string; readonly roleArn?: string };
    readonly datastoreKmsKeyArn?: string | undefined;
    readonly additionalAllowedEndpoints: readonly (
      string | { readonly datastoreKmsKeyArn?: string | undefined }
    )[];
  };
  readonly sourceFhir: {
    readonly datastoreKmsKeyArn?: string | undefined;
    readonly secret?:
      { readonly arn?: string | undefined; readonly kmsKeyArn?: string | undefined } | undefined;
  };
  readonly sqlTarget?:
    | {
        readonly secret?:
          { readonly arn?: string | undefined; readonly kmsKeyArn?: string | undefined } | undefined;
      }
    | undefined;
  readonly ingest: {
    readonly tokenSecret?:
      { readonly arn?: string | undefined; readonly kmsKeyArn?: string | undefined } | undefined;
    readonly adminPrincipalArns: readonly string[];
  };
}

/** Every ARN the configuration names, with its path (for the partition check). */
const configuredArns = (
  value: ArnOptions,
): { readonly path: (string | number)[]; readonly arn: string }[] => {
  const arns: { path: (string | number)[]; arn: string | undefined }[] = [
    {
      path: ['healthLake', 'access', 'roleArn'],
      arn: value.healthLake.access.roleArn,
    },
    { path: ['healthLake', 'datastoreKmsKeyArn'], arn: value.healthLake.datastoreKmsKeyArn },
    ...value.healthLake.additionalAllowedEndpoints.map((entry, index) => ({
      path: ['healthLake', 'additionalAllowedEndpoints', index, 'datastoreKmsKeyArn'],
      arn: typeof entry === 'string' ? undefined : entry.datastoreKmsKeyArn,
    })),
    { path: ['sourceFhir', 'datastoreKmsKeyArn'], arn: value.sourceFhir.datastoreKmsKeyArn },
    { path: ['sourceFhir', 'secret', 'arn'], arn: value.sourceFhir.secret?.arn },
    { path: ['sourceFhir', 'secret', 'kmsKeyArn'], arn: value.sourceFhir.secret?.kmsKeyArn },
    { path: ['ingest', 'tokenSecret', 'arn'], arn: value.ingest.tokenSecret?.arn },
    { path: ['ingest', 'tokenSecret', 'kmsKeyArn'], arn: value.ingest.tokenSecret?.kmsKeyArn },
    { path: ['sqlTarget', 'secret', 'arn'], arn: value.sqlTarget?.secret?.arn },
    { path: ['sqlTarget', 'secret', 'kmsKeyArn'], arn: value.sqlTarget?.secret?.kmsKeyArn },
    ...value.ingest.adminPrincipalArns.map((arn, index) => ({
      path: ['ingest', 'adminPrincipalArns', index],
      arn,
    })),
  ];
  return arns.filter((entry): entry is { path: (string | number)[]; arn: string } => entry.arn !== undefined);
};

/** The configuration as written (defaults optional). */
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
/** The configuration after validation, defaults applied. */
export type ConnectorConfigValues = z.output<typeof connectorConfigSchema>;
export type SecretReference = NonNullable<ConnectorConfigValues['ingest']['tokenSecret']>;
