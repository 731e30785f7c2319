import { readFileSync } from 'node:fs';
import { AWS_RUNTIME_ENV } from '../shared/config/awsEnv.js';
import { envEntries } from '../shared/config/envVar.js';
import { BACKFILL_WORKER_CONTRACT } from '../shared/runtime/backfillWorkerContract.js';
import { DELIVERER_CONTRACT } from '../shared/runtime/delivererContract.js';
import { INGEST_CONTRACT } from '../shared/runtime/ingestContract.js';
import { NOTIFICATION_CHECK_CONTRACT } from '../shared/runtime/notificationCheckContract.js';
import { RECONCILE_WORKER_CONTRACT } from '../shared/runtime/reconcileWorkerContract.js';
import { SQL_WRITER_CONTRACT } from '../shared/runtime/sqlWriterContract.js';
import { SUBSCRIPTION_PROVISIONER_CONTRACT } from '../shared/runtime/subscriptionProvisionerContract.js';
import { WRITE_PIPELINE_ENV } from '../shared/runtime/writePipelineEnv.js';
import type { AcceptedToken } from '../shared/ingest/auth/types.js';
import { LocalConfigError, type LocalConfig } from './config.js';
import { TEST_CREDENTIALS, type ConnectorResources } from './standins/aws.js';

/** Static AWS credentials every local function signs with (unset = the SDK's default chain). */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface LocalEnvironmentInput {
  readonly config: LocalConfig;
  readonly resources: ConnectorResources;
  /** Endpoint overrides (stand-ins or configured services); unset = the regional AWS endpoint. */
  readonly endpoints: {
    readonly sqs?: string;
    readonly s3?: string;
    readonly dynamodb?: string;
    readonly sts?: string;
  };
  readonly credentials?: LocalCredentials;
  /** Normalised data store endpoint the connector delivers to. */
  readonly healthLakeEndpoint: string;
  /**
   * Normalised further data stores deliveries may target (`--additional-healthlake-endpoint`), written
   * after the primary one into every ALLOWED_ENDPOINTS as the stack writes `additionalAllowedEndpoints`.
   */
  readonly additionalEndpoints?: readonly string[];
  /** Source FHIR server backfill reads from. */
  readonly sourceFhirBaseUrl: string;
  /**
   * Whether `sourceFhirBaseUrl` is a real source (configured or the stand-in), not a placeholder: only
   * then does ingest accept criteria only the source can evaluate. @default true
   */
  readonly sourceConfigured?: boolean;
  /** The Lambda stand-in serving the delivery transforms, and `name=functionArn` entries of them. */
  readonly transforms?: { readonly endpoint: string; readonly functions: readonly string[] };
  /** The SQL target when on: its database URL (embedded or `--sql-url`). */
  readonly sql?: { readonly url: string; readonly embedded: boolean };
  /** The development tokens (hashed, with their scopes, into the ingest environment). */
  readonly tokens: readonly AcceptedToken[];
  /** Local-only tuning: HealthLake response timeout, ms, and pacing (the retry timing is in `config`). */
  readonly tuning?: {
    readonly healthLakeTimeoutMs?: number;
    readonly adaptivePacing?: boolean;
  };
  /** The reconcile worker's RECONCILE_* rates and page size as given (unset = the contract defaults). */
  readonly reconcileTuning?: {
    readonly sourceRequestsPerSecond?: string | undefined;
    readonly healthLakeRequestsPerSecond?: string | undefined;
    readonly pageSize?: string | undefined;
  };
}

export type FunctionName =
  | 'ingest'
  | 'deliverer'
  | 'backfillWorker'
  | 'reconcileWorker'
  | 'subscriptionProvisioner'
  | 'notificationCheck'
  | 'sqlWriter';

/** The source credentials as the deployed worker's secret holds them (createSourceAuth's JSON). */
const sourceSecret = (config: LocalConfig): string | undefined => {
  switch (config.sourceAuth) {
    case 'bearer':
      if (!config.sourceToken) throw new LocalConfigError('--source-auth bearer needs --source-token');
      return JSON.stringify({ token: config.sourceToken });
    case 'basic':
      if (!config.sourceUsername || !config.sourcePassword) {
        throw new LocalConfigError('--source-auth basic needs --source-username and --source-password');
      }
      return JSON.stringify({ username: config.sourceUsername, password: config.sourcePassword });
    default:
      return undefined;
  }
};

/** The TLS secret's JSON (`{cert, key, ca}`) from the PEM files given, as the deployed secret holds it. */
const sourceTlsSecret = (config: LocalConfig): string | undefined => {
  if (!config.sourceCert && !config.sourceKey && !config.sourceCa) return undefined;
  if (!config.sourceCert !== !config.sourceKey) {
    throw new LocalConfigError('client-certificate TLS needs both --source-cert and --source-key');
  }
  const pem = (path: string | undefined, flag: string) => {
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch {
      throw new LocalConfigError(`--${flag}: cannot read the file`);
    }
  };
  const cert = pem(config.sourceCert, 'source-cert');
  const key = pem(config.sourceKey, 'source-key');
  const ca = pem(config.sourceCa, 'source-ca');
  return JSON.stringify({ ...(cert ? { cert, key } : {}), ...(ca ? { ca } : {}) });
};

/**
 * `--healthlake-modules` as the stack writes `healthLake.moduleEndpoints`: `moduleId=URL` entries, with
 * `primary` standing for the data store local mode delivers to (the stand-in's URL is known only at start).
 */
const moduleEndpoints = (config: LocalConfig, primary: string): string | undefined => {
  const entries = config.healthLakeModules.map((entry) => {
    const [id, target] = entry.split('=');
    if (!id || !target)
      throw new LocalConfigError('--healthlake-modules entries are moduleId=URL or moduleId=primary');
    return `${id}=${target === 'primary' ? primary : target}`;
  });
  return entries.length === 0 ? undefined : entries.join(',');
};

/**
 * Each function's environment as the CDK stack writes it (the same contract keys), with what Lambda's
 * runtime would add (region, credentials) and the SDK endpoint variables pointed at the stand-ins.
 * Local-only values: the token hash and source credentials inline instead of secrets, and the tuning.
 */
export const localFunctionEnvironments = (
  input: LocalEnvironmentInput,
): Record<Exclude<FunctionName, 'sqlWriter'>, NodeJS.ProcessEnv> & { sqlWriter?: NodeJS.ProcessEnv } => {
  const { config, resources, endpoints, credentials, tuning = {} } = input;
  const runtime = envEntries(AWS_RUNTIME_ENV, {
    awsRegion: config.region,
    awsAccessKeyId: credentials?.accessKeyId,
    awsSecretAccessKey: credentials?.secretAccessKey,
    awsSessionToken: credentials?.sessionToken,
  });
  const retryCount = String(config.deliveryRetryCount);
  const allowedEndpoints = [input.healthLakeEndpoint, ...(input.additionalEndpoints ?? [])].join(',');
  const writePipeline = envEntries(WRITE_PIPELINE_ENV, {
    sqsEndpoint: endpoints.sqs,
    s3Endpoint: endpoints.s3,
    dynamodbEndpoint: endpoints.dynamodb,
    stateTable: resources.stateTable,
    deliveryQueueUrl: resources.deliveryQueueUrl,
    allowedEndpoints,
    payloadBucket: resources.payloadBucket,
    deliveryRetryCount: retryCount,
    ...(input.sql ? { sqlQueueUrl: resources.sqlQueueUrl, sqlTargetNames: config.sqlTarget } : {}),
  });
  const roleArn = config.roleArn || undefined;
  const externalId = roleArn && config.externalId ? config.externalId : undefined;
  const source = {
    sourceBaseUrl: input.sourceFhirBaseUrl,
    sourceAuth: config.sourceAuth,
    sourceSecret: sourceSecret(config),
    sourceTlsSecret: sourceTlsSecret(config),
    sourceMaxResponseBytes:
      config.sourceMaxResponseBytes === undefined ? undefined : String(config.sourceMaxResponseBytes),
  };
  const reconcileTuning = input.reconcileTuning ?? {};
  // Backport notifications: absolute URLs in them may point at the source server only (as the stack writes).
  const notifications = envEntries(NOTIFICATION_CHECK_CONTRACT, {
    notificationSources: config.notificationSources,
    notificationAllowedOrigins: new URL(input.sourceFhirBaseUrl).origin,
    heartbeatToleranceSeconds:
      config.notificationHeartbeatToleranceSeconds === undefined
        ? undefined
        : String(config.notificationHeartbeatToleranceSeconds),
    gapGraceSeconds:
      config.notificationGapGraceSeconds === undefined
        ? undefined
        : String(config.notificationGapGraceSeconds),
  });
  return {
    ingest: {
      ...runtime,
      ...writePipeline,
      ...envEntries(INGEST_CONTRACT, {
        backfillQueueUrl: resources.backfillQueueUrl,
        reconcileQueueUrl: resources.reconcileQueueUrl,
        authModes: 'bearer',
        tokenHashes: JSON.stringify({ tokens: input.tokens }),
        connectorId: config.connectorId,
        autoSubscriptionEnabled: String(config.autoSubscription),
        healthLakeEndpoint: input.healthLakeEndpoint,
        sourceBaseUrl: input.sourceConfigured === false ? undefined : input.sourceFhirBaseUrl,
        moduleEndpoints: moduleEndpoints(config, input.healthLakeEndpoint),
        transforms: input.transforms?.functions.join(','),
      }),
      ...notifications,
    },
    deliverer: {
      ...runtime,
      ...envEntries(DELIVERER_CONTRACT, {
        sqsEndpoint: endpoints.sqs,
        s3Endpoint: endpoints.s3,
        dynamodbEndpoint: endpoints.dynamodb,
        stsEndpoint: endpoints.sts,
        connectorId: config.connectorId,
        stateTable: resources.stateTable,
        deliveryQueueUrl: resources.deliveryQueueUrl,
        deliveryDlqUrl: resources.deliveryDlqUrl,
        healthLakeEndpoint: input.healthLakeEndpoint,
        allowedEndpoints,
        healthLakeRoleArn: roleArn,
        healthLakeExternalId: externalId,
        healthLakeRegion: config.region,
        deliveryRetryCount: retryCount,
        // The local flags (--delivery-retry-*; default 1 s doubling to 20 s) as the stack writes its config.
        retryBaseSeconds: String(config.retryBaseSeconds),
        retryMaxSeconds: String(config.retryMaxSeconds),
        retryStrategy: config.retryStrategy,
        // The deployed 60 s doubling to 900 s, scaled to local mode's shorter horizon (same 1:15 ratio).
        accessDeniedBaseSeconds: String(Math.max(1, Math.round(config.accessDeniedMaxSeconds / 15))),
        accessDeniedMaxSeconds: String(config.accessDeniedMaxSeconds),
        healthLakeMaxBundleEntries: String(config.healthLakeMaxBundleEntries),
        ...(tuning.healthLakeTimeoutMs === undefined
          ? {}
          : {
              connectTimeoutMs: String(Math.min(10_000, tuning.healthLakeTimeoutMs)),
              responseTimeoutMs: String(tuning.healthLakeTimeoutMs),
            }),
        ...(tuning.adaptivePacing === undefined ? {} : { adaptivePacing: String(tuning.adaptivePacing) }),
        // Payload search reads the same source server as backfill (the stack writes the same).
        ...source,
        lambdaEndpoint: input.transforms?.endpoint,
        transforms: input.transforms?.functions.join(','),
      }),
    },
    backfillWorker: {
      ...runtime,
      ...writePipeline,
      ...envEntries(BACKFILL_WORKER_CONTRACT, {
        backfillQueueUrl: resources.backfillQueueUrl,
        backfillDlqUrl: resources.backfillDlqUrl,
        ...source,
      }),
    },
    reconcileWorker: {
      ...runtime,
      ...writePipeline,
      ...envEntries(RECONCILE_WORKER_CONTRACT, {
        stsEndpoint: endpoints.sts,
        reconcileQueueUrl: resources.reconcileQueueUrl,
        connectorId: config.connectorId,
        healthLakeRoleArn: roleArn,
        healthLakeExternalId: externalId,
        healthLakeRegion: config.region,
        reconcileSourceRequestsPerSecond: reconcileTuning.sourceRequestsPerSecond,
        healthLakeRequestsPerSecond: reconcileTuning.healthLakeRequestsPerSecond,
        pageSize: reconcileTuning.pageSize,
        ...source,
      }),
    },
    ...(input.sql
      ? {
          sqlWriter: {
            ...runtime,
            ...envEntries(SQL_WRITER_CONTRACT, {
              sqsEndpoint: endpoints.sqs,
              s3Endpoint: endpoints.s3,
              dynamodbEndpoint: endpoints.dynamodb,
              stateTable: resources.stateTable,
              connectorId: config.connectorId,
              sqlQueueUrl: resources.sqlQueueUrl,
              sqlDlqUrl: resources.sqlDlqUrl,
              targetName: config.sqlTarget,
              url: input.sql.url,
              // Local mode: the URL holds what is needed; the embedded database listens on loopback, a
              // --sql-url server is asked for TLS the way its URL (sslmode) says.
              auth: 'none',
              tls: 'off',
              mappingFile: config.sqlMapping,
              schema: config.sqlSchema,
              applySchema: String(config.sqlApplySchema),
              // PGlite is one session: one connection, so two transactions never interleave.
              maxConnections: input.sql.embedded ? '1' : undefined,
              deliveryRetryCount: retryCount,
              retryBaseSeconds: String(config.retryBaseSeconds),
              retryMaxSeconds: String(config.retryMaxSeconds),
              retryStrategy: config.retryStrategy,
            }),
          },
        }
      : {}),
    subscriptionProvisioner: {
      ...runtime,
      ...envEntries(SUBSCRIPTION_PROVISIONER_CONTRACT, {
        dynamodbEndpoint: endpoints.dynamodb,
        stateTable: resources.stateTable,
      }),
    },
    notificationCheck: {
      ...runtime,
      ...envEntries(NOTIFICATION_CHECK_CONTRACT, {
        connectorId: config.connectorId,
        sqsEndpoint: endpoints.sqs,
        dynamodbEndpoint: endpoints.dynamodb,
        stateTable: resources.stateTable,
        backfillQueueUrl: resources.backfillQueueUrl,
        reconcileQueueUrl: resources.reconcileQueueUrl,
      }),
      ...notifications,
    },
  };
};

/**
 * The credentials Lambda's runtime would give every function: with the HealthLake + STS stand-in, its
 * base credentials (the AWS stand-ins accept any); else this process's own AWS_* variables; else,
 * when every AWS endpoint is a stand-in, the stand-ins' test credentials; else none (the SDK's chain).
 */
export const localCredentials = (options: {
  readonly healthlake?: { readonly baseCredentials: LocalCredentials; readonly stsEndpoint: string };
  readonly stsEndpoint?: string;
  readonly endpoints: Readonly<Record<string, string | undefined>>;
  readonly isStandin: (endpoint: string) => boolean;
  readonly processEnv?: NodeJS.ProcessEnv;
}): LocalCredentials | undefined => {
  const { healthlake, processEnv = process.env } = options;
  if (healthlake && options.stsEndpoint === healthlake.stsEndpoint) {
    const { accessKeyId, secretAccessKey } = healthlake.baseCredentials;
    return { accessKeyId, secretAccessKey };
  }
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = processEnv;
  if (accessKeyId && secretAccessKey) {
    const sessionToken = processEnv.AWS_SESSION_TOKEN;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  const all = Object.values(options.endpoints);
  return all.every((endpoint) => endpoint !== undefined && options.isStandin(endpoint))
    ? { ...TEST_CREDENTIALS }
    : undefined;
};
