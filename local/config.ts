import { parseArgs } from 'node:util';
import { HEALTHLAKE_MAX_BUNDLE_ENTRIES } from '../shared/healthlake/constants.js';

/**
 * Local mode's options: every one has a default, an environment variable and a command-line flag
 * (`npm start -- --api-port 9000`); flags win over the environment. Every endpoint can point at a real
 * or compatible service instead of the embedded stand-in: set it and that stand-in is not started.
 */
export interface LocalConfig {
  /** Interface every local server binds to. */
  readonly host: string;
  /** Ingest API port (0 = random). */
  readonly apiPort: number;
  /** HealthLake + STS stand-in port (0 = random). */
  readonly healthLakePort: number;
  /** Source FHIR server stand-in port (0 = random). */
  readonly sourcePort: number;
  readonly region: string;
  /** Names STS sessions and derives the auto-managed subscription id (`_` becomes `-`). */
  readonly connectorId: string;
  /** Prefix of the queue, bucket and table names. */
  readonly resourcePrefix: string;
  /** A real or compatible HealthLake data store base URL (`.../datastore/{id}/r4/`); unset = stand-in. */
  readonly healthLakeEndpoint?: string;
  /**
   * Further data stores deliveries may target (the stack's `additionalAllowedEndpoints`). One on the
   * stand-in's host and `healthLakePort` (`http://127.0.0.1:{port}/datastore/{id}/r4/`) is served by the
   * stand-in, with its own store and faults; any other is used as it is.
   */
  readonly additionalHealthLakeEndpoints: readonly string[];
  /** A real or compatible STS endpoint; unset = the stand-in's (or the SDK default with a real endpoint). */
  readonly stsEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly dynamoEndpoint?: string;
  /** Customer role the deliverer assumes for HealthLake; empty = the process's own credentials. */
  readonly roleArn: string;
  readonly externalId: string;
  /** Source FHIR server for backfill; unset = the source stand-in (when `sourceStandin`). */
  readonly sourceFhirBaseUrl?: string;
  /**
   * How backfill authenticates to the source server: the deployed worker's `none`, `bearer` or
   * `basic`, with the credentials below (passed to the worker as its secret's JSON).
   */
  readonly sourceAuth: 'none' | 'bearer' | 'basic';
  readonly sourceToken?: string;
  readonly sourceUsername?: string;
  readonly sourcePassword?: string;
  /** Client-certificate TLS to the source: PEM files of the certificate, its key and a CA bundle. */
  readonly sourceCert?: string;
  readonly sourceKey?: string;
  readonly sourceCa?: string;
  /** Largest source response body read, bytes (unset = the contract's 32 MiB). */
  readonly sourceMaxResponseBytes?: number;
  /** Start the source FHIR server stand-in (implied by `sourceSeedDir`). */
  readonly sourceStandin: boolean;
  /** Folder of Bundles/NDJSON/JSON to seed the source stand-in with. */
  readonly sourceSeedDir?: string;
  /**
   * Folder that keeps the stand-ins' state across restarts (queues and their messages, the state table,
   * the payload bucket, the HealthLake and source stand-ins' resources); unset = in memory, lost at stop.
   */
  readonly dataDir?: string;
  /** Resource types the HealthLake stand-in answers `400 not-supported` for. */
  readonly unsupportedTypes: readonly string[];
  /** Most entries per Bundle: the stand-in's limit and the deliverer's `healthLake.maxBundleEntries`. */
  readonly healthLakeMaxBundleEntries: number;
  /**
   * `healthLake.moduleEndpoints` as `moduleId=URL` entries (`moduleId=primary` for the primary data
   * store): Smile's `subscription-channel-awshealthlake-sender-module-id` routes by it.
   */
  readonly healthLakeModules: readonly string[];
  /** `delivery.transforms` as `name=path` entries: JavaScript modules served as Lambda functions. */
  readonly transforms: readonly string[];
  /** Fault injection rates (0..1) of the HealthLake stand-in, and the seed that makes them reproducible. */
  readonly faults: {
    readonly throttleRate: number;
    readonly serverErrorRate: number;
    readonly timeoutRate: number;
    readonly seed: number;
  };
  /** Create the auto-managed subscription at start. */
  readonly autoSubscription: boolean;
  readonly autoSubscriptionCriteria: string;
  /** Receives of a delivery message before SQS moves it to the DLQ. */
  readonly maxReceiveCount: number;
  /** Subscription delivery-retry-count default (attempts = retries + 1). */
  readonly deliveryRetryCount: number;
  /** Delivery retry timing: first delay and largest delay (seconds), and `exponential` or `fixed`. */
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  readonly retryStrategy: 'exponential' | 'fixed';
  /** Largest retry delay after access denied (401/403, STS refusal), seconds (the deliverer's default is 900). */
  readonly accessDeniedMaxSeconds: number;
  /** Delivery queue visibility timeout, seconds (the deliverer's backoff changes it per message). */
  readonly visibilityTimeoutSeconds: number;
  /** Concurrent deliverer invocations (the event source mapping's MaximumConcurrency). */
  readonly deliveryConcurrency: number;
  /**
   * The SQL target (seed 000's relational export): `embedded` starts PGlite (its URL in the banner, for
   * psql or any client), `off` none; `sqlUrl` uses a real PostgreSQL instead of the embedded one.
   */
  readonly sql: 'embedded' | 'off';
  /** A real PostgreSQL (`postgres://user:password@host:port/database`) for the SQL target. */
  readonly sqlUrl?: string;
  /** Name of the SQL target: Subscriptions deliver to it with `channel.endpoint` `sql://<name>`. */
  readonly sqlTarget: string;
  /** PostgreSQL schema of its tables (default: the mapping's, `public`). */
  readonly sqlSchema?: string;
  /** Mapping file (JSON or YAML); default: the built-in transformers. */
  readonly sqlMapping?: string;
  /** Create the mapping's tables at start (CREATE ... IF NOT EXISTS). */
  readonly sqlApplySchema: boolean;
  /** Fixed development token (random when unset). */
  readonly token?: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** `pretty`: one readable line per log entry; `json`: Powertools' JSON as in Lambda. */
  readonly logFormat: 'pretty' | 'json';
  /** `auto`: a live line on a TTY, a periodic line otherwise. */
  readonly progress: 'auto' | 'live' | 'lines' | 'off';
  /** The source Subscriptions whose backport notifications the connector receives (JSON list). */
  readonly notificationSources?: string;
  /** Seconds between heartbeat checks (the deployed check runs every `notifications.checkIntervalMinutes`). */
  readonly notificationCheckSeconds: number;
  /** Seconds past a heartbeat period before it is missed (unset = one period, at least 30). */
  readonly notificationHeartbeatToleranceSeconds?: number;
  /** Seconds a skipped event number may still arrive before it is a gap (unset = 30). */
  readonly notificationGapGraceSeconds?: number;
}

type Kind = 'string' | 'int' | 'bool' | 'list' | 'rate';

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  readonly doc: string;
  readonly choices?: readonly string[];
}

/** The option table: flag, environment variable, type and meaning. Also the README's reference. */
export const LOCAL_OPTIONS = {
  host: { flag: 'host', env: 'HLC_HOST', kind: 'string', doc: 'interface to bind (default 127.0.0.1)' },
  apiPort: {
    flag: 'api-port',
    env: 'HLC_API_PORT',
    kind: 'int',
    doc: 'ingest API port (default 8080; 0 = random)',
  },
  healthLakePort: {
    flag: 'healthlake-port',
    env: 'HLC_HEALTHLAKE_PORT',
    kind: 'int',
    doc: 'HealthLake + STS stand-in port (default 0 = random)',
  },
  sourcePort: {
    flag: 'source-port',
    env: 'HLC_SOURCE_PORT',
    kind: 'int',
    doc: 'source FHIR stand-in port (default 0)',
  },
  region: { flag: 'region', env: 'HLC_REGION', kind: 'string', doc: 'AWS region (default us-east-1)' },
  connectorId: {
    flag: 'connector-id',
    env: 'HLC_CONNECTOR_ID',
    kind: 'string',
    doc: 'connector id (default local)',
  },
  resourcePrefix: {
    flag: 'resource-prefix',
    env: 'HLC_RESOURCE_PREFIX',
    kind: 'string',
    doc: 'prefix of queue/table/bucket names (default hlc-local)',
  },
  healthLakeEndpoint: {
    flag: 'healthlake-endpoint',
    env: 'HLC_HEALTHLAKE_ENDPOINT',
    kind: 'string',
    doc: 'real or compatible HealthLake data store URL (.../datastore/{id}/r4/); no stand-in',
  },
  additionalHealthLakeEndpoints: {
    flag: 'additional-healthlake-endpoint',
    env: 'HLC_ADDITIONAL_HEALTHLAKE_ENDPOINTS',
    kind: 'list',
    doc: 'another data store URL deliveries may target (repeatable; env comma-separated); one on the stand-in host and --healthlake-port is served by the stand-in',
  },
  stsEndpoint: { flag: 'sts-endpoint', env: 'HLC_STS_ENDPOINT', kind: 'string', doc: 'STS endpoint' },
  sqsEndpoint: {
    flag: 'sqs-endpoint',
    env: 'HLC_SQS_ENDPOINT',
    kind: 'string',
    doc: 'SQS endpoint (no fauxqs)',
  },
  s3Endpoint: { flag: 's3-endpoint', env: 'HLC_S3_ENDPOINT', kind: 'string', doc: 'S3 endpoint' },
  dynamoEndpoint: {
    flag: 'dynamodb-endpoint',
    env: 'HLC_DYNAMODB_ENDPOINT',
    kind: 'string',
    doc: 'DynamoDB endpoint (no dynalite)',
  },
  roleArn: {
    flag: 'role-arn',
    env: 'HLC_ROLE_ARN',
    kind: 'string',
    doc: 'customer role ARN to assume for HealthLake',
  },
  externalId: {
    flag: 'external-id',
    env: 'HLC_EXTERNAL_ID',
    kind: 'string',
    doc: 'ExternalId for AssumeRole',
  },
  sourceFhirBaseUrl: {
    flag: 'source-fhir-url',
    env: 'HLC_SOURCE_FHIR_URL',
    kind: 'string',
    doc: 'source FHIR server base URL for backfill (no source stand-in)',
  },
  sourceAuth: {
    flag: 'source-auth',
    env: 'HLC_SOURCE_AUTH',
    kind: 'string',
    doc: 'source server authentication: none | bearer | basic (default none)',
    choices: ['none', 'bearer', 'basic'],
  },
  sourceToken: {
    flag: 'source-token',
    env: 'HLC_SOURCE_TOKEN',
    kind: 'string',
    doc: 'bearer token for --source-auth bearer',
  },
  sourceUsername: {
    flag: 'source-username',
    env: 'HLC_SOURCE_USERNAME',
    kind: 'string',
    doc: 'user name for --source-auth basic',
  },
  sourcePassword: {
    flag: 'source-password',
    env: 'HLC_SOURCE_PASSWORD',
    kind: 'string',
    doc: 'password for --source-auth basic',
  },
  sourceCert: {
    flag: 'source-cert',
    env: 'HLC_SOURCE_CERT',
    kind: 'string',
    doc: 'PEM client certificate for mutual TLS to the source server (with --source-key)',
  },
  sourceKey: {
    flag: 'source-key',
    env: 'HLC_SOURCE_KEY',
    kind: 'string',
    doc: 'PEM private key of --source-cert',
  },
  sourceCa: {
    flag: 'source-ca',
    env: 'HLC_SOURCE_CA',
    kind: 'string',
    doc: "PEM CA bundle the source server's certificate chains to (besides the public roots)",
  },
  sourceMaxResponseBytes: {
    flag: 'source-max-response-bytes',
    env: 'HLC_SOURCE_MAX_RESPONSE_BYTES',
    kind: 'int',
    doc: 'largest source (and reconcile HealthLake) response body read, bytes (default 32 MiB)',
  },
  sourceStandin: {
    flag: 'source-standin',
    env: 'HLC_SOURCE_STANDIN',
    kind: 'bool',
    doc: 'start a source FHIR server stand-in (default true)',
  },
  sourceSeedDir: {
    flag: 'source-seed',
    env: 'HLC_SOURCE_SEED',
    kind: 'string',
    doc: 'folder of Bundles/NDJSON to seed the source stand-in with',
  },
  dataDir: {
    flag: 'data-dir',
    env: 'HLC_DATA_DIR',
    kind: 'string',
    doc: "folder keeping the stand-ins' state across restarts (default none: in memory, lost at Ctrl-C)",
  },
  unsupportedTypes: {
    flag: 'unsupported-types',
    env: 'HLC_UNSUPPORTED_TYPES',
    kind: 'list',
    doc: 'types the HealthLake stand-in rejects as not-supported (comma-separated)',
  },
  healthLakeMaxBundleEntries: {
    flag: 'healthlake-max-bundle-entries',
    env: 'HLC_HEALTHLAKE_MAX_BUNDLE_ENTRIES',
    kind: 'int',
    doc: 'most entries per Bundle (stand-in and deliverer; default 160)',
  },
  healthLakeModules: {
    flag: 'healthlake-modules',
    env: 'HLC_HEALTHLAKE_MODULES',
    kind: 'list',
    doc: 'Smile module id routing: moduleId=URL or moduleId=primary (comma-separated)',
  },
  transforms: {
    flag: 'transforms',
    env: 'HLC_TRANSFORMS',
    kind: 'list',
    doc: 'delivery transforms: name=path/to/module.mjs (comma-separated)',
  },
  throttleRate: {
    flag: 'fault-throttle',
    env: 'HLC_FAULT_THROTTLE_RATE',
    kind: 'rate',
    doc: '429 rate (0..1)',
  },
  serverErrorRate: { flag: 'fault-5xx', env: 'HLC_FAULT_5XX_RATE', kind: 'rate', doc: '500/503 rate (0..1)' },
  timeoutRate: {
    flag: 'fault-timeout',
    env: 'HLC_FAULT_TIMEOUT_RATE',
    kind: 'rate',
    doc: 'no-answer rate (0..1)',
  },
  faultSeed: {
    flag: 'fault-seed',
    env: 'HLC_FAULT_SEED',
    kind: 'int',
    doc: 'seed of the fault sequence (default 1)',
  },
  autoSubscription: {
    flag: 'auto-subscription',
    env: 'HLC_AUTO_SUBSCRIPTION',
    kind: 'bool',
    doc: 'create the auto-managed subscription (default true)',
  },
  autoSubscriptionCriteria: {
    flag: 'auto-subscription-criteria',
    env: 'HLC_AUTO_SUBSCRIPTION_CRITERIA',
    kind: 'string',
    doc: 'its criteria (default [*])',
  },
  maxReceiveCount: {
    flag: 'max-receive-count',
    env: 'HLC_MAX_RECEIVE_COUNT',
    kind: 'int',
    doc: 'receives before SQS dead-letters a message (default 22)',
  },
  deliveryRetryCount: {
    flag: 'delivery-retry-count',
    env: 'HLC_DELIVERY_RETRY_COUNT',
    kind: 'int',
    doc: 'default delivery retries before the DLQ (default 20)',
  },
  retryBaseSeconds: {
    flag: 'delivery-retry-base-seconds',
    env: 'HLC_DELIVERY_RETRY_BASE_SECONDS',
    kind: 'int',
    doc: 'first retry delay of a failed delivery, seconds (default 1)',
  },
  retryMaxSeconds: {
    flag: 'delivery-retry-max-seconds',
    env: 'HLC_DELIVERY_RETRY_MAX_SECONDS',
    kind: 'int',
    doc: 'largest retry delay, seconds (default 20)',
  },
  accessDeniedMaxSeconds: {
    flag: 'delivery-access-denied-max-seconds',
    env: 'HLC_DELIVERY_ACCESS_DENIED_MAX_SECONDS',
    kind: 'int',
    doc: 'largest retry delay after access denied, seconds; the first is a fifteenth of it (default 60)',
  },
  retryStrategy: {
    flag: 'delivery-retry-strategy',
    env: 'HLC_DELIVERY_RETRY_STRATEGY',
    kind: 'string',
    doc: 'exponential (with jitter) | fixed (default exponential)',
    choices: ['exponential', 'fixed'],
  },
  visibilityTimeoutSeconds: {
    flag: 'visibility-timeout',
    env: 'HLC_VISIBILITY_TIMEOUT',
    kind: 'int',
    doc: 'delivery queue visibility timeout, seconds (default 30)',
  },
  deliveryConcurrency: {
    flag: 'delivery-concurrency',
    env: 'HLC_DELIVERY_CONCURRENCY',
    kind: 'int',
    doc: 'concurrent deliverer invocations (default 8)',
  },
  sql: {
    flag: 'sql',
    env: 'HLC_SQL',
    kind: 'string',
    doc: 'SQL target database: embedded (PGlite) | off (default embedded; --sql-url for a real server)',
    choices: ['embedded', 'off'],
  },
  sqlUrl: {
    flag: 'sql-url',
    env: 'HLC_SQL_URL',
    kind: 'string',
    doc: 'a real PostgreSQL for the SQL target (postgres://user:password@host:port/database)',
  },
  sqlTarget: {
    flag: 'sql-target',
    env: 'HLC_SQL_TARGET',
    kind: 'string',
    doc: 'name of the SQL target, Subscription endpoint sql://<name> (default warehouse)',
  },
  sqlSchema: {
    flag: 'sql-schema',
    env: 'HLC_SQL_SCHEMA',
    kind: 'string',
    doc: 'PostgreSQL schema of the SQL tables (default public)',
  },
  sqlMapping: {
    flag: 'sql-mapping',
    env: 'HLC_SQL_MAPPING',
    kind: 'string',
    doc: 'SQL mapping file, JSON or YAML (default: the built-in transformers)',
  },
  sqlApplySchema: {
    flag: 'sql-apply-schema',
    env: 'HLC_SQL_APPLY_SCHEMA',
    kind: 'bool',
    doc: "create the mapping's tables at start if missing (default true)",
  },
  token: { flag: 'token', env: 'HLC_TOKEN', kind: 'string', doc: 'fixed development token (default random)' },
  logLevel: {
    flag: 'log-level',
    env: 'HLC_LOG_LEVEL',
    kind: 'string',
    doc: 'debug | info | warn | error | silent (default info)',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
  },
  logFormat: {
    flag: 'log-format',
    env: 'HLC_LOG_FORMAT',
    kind: 'string',
    doc: 'pretty | json (default pretty)',
    choices: ['pretty', 'json'],
  },
  progress: {
    flag: 'progress',
    env: 'HLC_PROGRESS',
    kind: 'string',
    doc: 'auto | live | lines | off (default auto)',
    choices: ['auto', 'live', 'lines', 'off'],
  },
  notificationSources: {
    flag: 'notification-sources',
    env: 'HLC_NOTIFICATION_SOURCES',
    kind: 'string',
    doc: 'JSON list of source Subscriptions sending backport notifications (default none)',
  },
  notificationCheckSeconds: {
    flag: 'notification-check-seconds',
    env: 'HLC_NOTIFICATION_CHECK_SECONDS',
    kind: 'int',
    doc: 'seconds between heartbeat checks (default 60)',
  },
  notificationHeartbeatToleranceSeconds: {
    flag: 'notification-heartbeat-tolerance',
    env: 'HLC_NOTIFICATION_HEARTBEAT_TOLERANCE',
    kind: 'int',
    doc: 'seconds past a heartbeat period before it is missed (default one period, at least 30)',
  },
  notificationGapGraceSeconds: {
    flag: 'notification-gap-grace',
    env: 'HLC_NOTIFICATION_GAP_GRACE',
    kind: 'int',
    doc: 'seconds a skipped event number may still arrive before it is a gap (default 30)',
  },
} as const satisfies Record<string, OptionSpec>;

export type LocalOptionName = keyof typeof LOCAL_OPTIONS;

export const DEFAULT_LOCAL_CONFIG: LocalConfig = {
  host: '127.0.0.1',
  apiPort: 8080,
  healthLakePort: 0,
  sourcePort: 0,
  region: 'us-east-1',
  connectorId: 'local',
  resourcePrefix: 'hlc-local',
  roleArn: 'arn:aws:iam::000000000000:role/healthlake-connector-local',
  externalId: 'local-external-id',
  sourceAuth: 'none',
  sourceStandin: true,
  unsupportedTypes: [],
  additionalHealthLakeEndpoints: [],
  healthLakeMaxBundleEntries: HEALTHLAKE_MAX_BUNDLE_ENTRIES,
  healthLakeModules: [],
  transforms: [],
  faults: { throttleRate: 0, serverErrorRate: 0, timeoutRate: 0, seed: 1 },
  autoSubscription: true,
  autoSubscriptionCriteria: '[*]',
  maxReceiveCount: 22,
  deliveryRetryCount: 20,
  retryBaseSeconds: 1,
  retryMaxSeconds: 20,
  accessDeniedMaxSeconds: 60,
  retryStrategy: 'exponential',
  visibilityTimeoutSeconds: 30,
  deliveryConcurrency: 8,
  sql: 'embedded',
  sqlTarget: 'warehouse',
  sqlApplySchema: true,
  logLevel: 'info',
  logFormat: 'pretty',
  progress: 'auto',
  notificationCheckSeconds: 60,
};

/** Thrown for a malformed option; names the flag and the variable, never echoes other values. */
export class LocalConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'LocalConfigError';
  }
}

const convert = (name: LocalOptionName, raw: string): string | number | boolean | string[] => {
  const spec: OptionSpec = LOCAL_OPTIONS[name];
  const where = `--${spec.flag} / ${spec.env}`;
  switch (spec.kind) {
    case 'int': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0)
        throw new LocalConfigError(`${where} must be a non-negative integer`);
      return value;
    }
    case 'rate': {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || value > 1)
        throw new LocalConfigError(`${where} must be in [0, 1]`);
      return value;
    }
    case 'bool':
      if (['true', '1', 'yes', ''].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new LocalConfigError(`${where} must be true or false`);
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    default:
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new LocalConfigError(`${where} must be one of ${spec.choices.join(', ')}`);
      }
      return raw;
  }
};

/**
 * Reads the configuration from flags (`argv`) and environment, over the defaults.
 *
 * @example
 * const config = loadLocalConfig(process.argv.slice(2), process.env);
 */
export const loadLocalConfig = (
  argv: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): LocalConfig => {
  const names = Object.keys(LOCAL_OPTIONS) as LocalOptionName[];
  const parseOptions = Object.fromEntries(
    names.map((name) => [
      LOCAL_OPTIONS[name].flag,
      // A list flag may be given more than once (its values are joined, like the variable's commas).
      { type: 'string' as const, multiple: LOCAL_OPTIONS[name].kind === 'list' },
    ]),
  );
  let flags: Record<string, string | string[] | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: { ...parseOptions, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | string[] | undefined>;
  } catch (error) {
    throw new LocalConfigError((error as Error).message);
  }
  const values: Partial<Record<LocalOptionName, ReturnType<typeof convert>>> = {};
  for (const name of names) {
    const spec = LOCAL_OPTIONS[name];
    const flag = flags[spec.flag];
    const raw = typeof flag === 'string' ? flag : Array.isArray(flag) ? flag.join(',') : env[spec.env];
    if (raw !== undefined && (raw !== '' || spec.kind === 'list')) values[name] = convert(name, raw);
  }
  const pick = <T>(name: LocalOptionName, fallback: T): T => (values[name] as T | undefined) ?? fallback;
  const optional = (name: LocalOptionName, fallback?: string) => {
    const value = pick<string | undefined>(name, fallback);
    return value === undefined || value === '' ? undefined : value;
  };
  const base = DEFAULT_LOCAL_CONFIG;
  const sourceSeedDir = optional('sourceSeedDir');
  const stsEndpoint = optional('stsEndpoint', env.AWS_ENDPOINT_URL_STS);
  return {
    host: pick('host', base.host),
    apiPort: pick('apiPort', base.apiPort),
    healthLakePort: pick('healthLakePort', base.healthLakePort),
    sourcePort: pick('sourcePort', base.sourcePort),
    region: pick('region', base.region),
    connectorId: pick('connectorId', base.connectorId),
    resourcePrefix: pick('resourcePrefix', base.resourcePrefix),
    roleArn: pick('roleArn', base.roleArn),
    externalId: pick('externalId', base.externalId),
    sourceAuth: pick('sourceAuth', base.sourceAuth),
    sourceStandin: pick('sourceStandin', base.sourceStandin) || sourceSeedDir !== undefined,
    unsupportedTypes: pick('unsupportedTypes', base.unsupportedTypes),
    additionalHealthLakeEndpoints: pick('additionalHealthLakeEndpoints', base.additionalHealthLakeEndpoints),
    healthLakeMaxBundleEntries: pick('healthLakeMaxBundleEntries', base.healthLakeMaxBundleEntries),
    healthLakeModules: pick('healthLakeModules', base.healthLakeModules),
    transforms: pick('transforms', base.transforms),
    faults: {
      throttleRate: pick('throttleRate', base.faults.throttleRate),
      serverErrorRate: pick('serverErrorRate', base.faults.serverErrorRate),
      timeoutRate: pick('timeoutRate', base.faults.timeoutRate),
      seed: pick('faultSeed', base.faults.seed),
    },
    autoSubscription: pick('autoSubscription', base.autoSubscription),
    autoSubscriptionCriteria: pick('autoSubscriptionCriteria', base.autoSubscriptionCriteria),
    maxReceiveCount: pick('maxReceiveCount', base.maxReceiveCount),
    deliveryRetryCount: pick('deliveryRetryCount', base.deliveryRetryCount),
    retryBaseSeconds: pick('retryBaseSeconds', base.retryBaseSeconds),
    retryMaxSeconds: pick('retryMaxSeconds', base.retryMaxSeconds),
    retryStrategy: pick('retryStrategy', base.retryStrategy),
    accessDeniedMaxSeconds: pick('accessDeniedMaxSeconds', base.accessDeniedMaxSeconds),
    visibilityTimeoutSeconds: pick('visibilityTimeoutSeconds', base.visibilityTimeoutSeconds),
    deliveryConcurrency: pick('deliveryConcurrency', base.deliveryConcurrency),
    sql: pick('sql', base.sql),
    sqlTarget: pick('sqlTarget', base.sqlTarget),
    sqlApplySchema: pick('sqlApplySchema', base.sqlApplySchema),
    ...(optional('sqlUrl') ? { sqlUrl: optional('sqlUrl') } : {}),
    ...(optional('sqlSchema') ? { sqlSchema: optional('sqlSchema') } : {}),
    ...(optional('sqlMapping') ? { sqlMapping: optional('sqlMapping') } : {}),
    logLevel: pick('logLevel', base.logLevel),
    logFormat: pick('logFormat', base.logFormat),
    progress: pick('progress', base.progress),
    notificationCheckSeconds: Math.max(1, pick('notificationCheckSeconds', base.notificationCheckSeconds)),
    ...(optional('notificationSources') ? { notificationSources: optional('notificationSources') } : {}),
    ...(values.notificationHeartbeatToleranceSeconds === undefined
      ? {}
      : { notificationHeartbeatToleranceSeconds: values.notificationHeartbeatToleranceSeconds as number }),
    ...(values.notificationGapGraceSeconds === undefined
      ? {}
      : { notificationGapGraceSeconds: values.notificationGapGraceSeconds as number }),
    ...(optional('healthLakeEndpoint') ? { healthLakeEndpoint: optional('healthLakeEndpoint') } : {}),
    ...(stsEndpoint ? { stsEndpoint } : {}),
    ...(optional('sqsEndpoint') ? { sqsEndpoint: optional('sqsEndpoint') } : {}),
    ...(optional('s3Endpoint') ? { s3Endpoint: optional('s3Endpoint') } : {}),
    ...(optional('dynamoEndpoint') ? { dynamoEndpoint: optional('dynamoEndpoint') } : {}),
    ...(optional('sourceFhirBaseUrl') ? { sourceFhirBaseUrl: optional('sourceFhirBaseUrl') } : {}),
    ...(sourceSeedDir ? { sourceSeedDir } : {}),
    ...(optional('dataDir') ? { dataDir: optional('dataDir') } : {}),
    ...(optional('token') ? { token: optional('token') } : {}),
    ...(optional('sourceToken') ? { sourceToken: optional('sourceToken') } : {}),
    ...(optional('sourceUsername') ? { sourceUsername: optional('sourceUsername') } : {}),
    ...(optional('sourcePassword') ? { sourcePassword: optional('sourcePassword') } : {}),
    ...(optional('sourceCert') ? { sourceCert: optional('sourceCert') } : {}),
    ...(optional('sourceKey') ? { sourceKey: optional('sourceKey') } : {}),
    ...(optional('sourceCa') ? { sourceCa: optional('sourceCa') } : {}),
    ...(values.sourceMaxResponseBytes === undefined
      ? {}
      : { sourceMaxResponseBytes: values.sourceMaxResponseBytes as number }),
  };
};

/** `npm start -- --help`: the option table. */
export const localUsage = (): string =>
  [
    'usage: npm start -- [options]   (each option also reads its environment variable)',
    '',
    ...Object.values(LOCAL_OPTIONS).map(
      (spec: OptionSpec) => `  --${spec.flag.padEnd(28)} ${spec.env.padEnd(32)} ${spec.doc}`,
    ),
  ].join('\n');
