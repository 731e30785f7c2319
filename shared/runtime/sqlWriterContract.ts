import { ENV } from '../config/constants.js';
import { AWS_RUNTIME_ENV, endpointVar } from '../config/awsEnv.js';
import {
  boolVar,
  choiceVar,
  intVar,
  isUnset,
  optionalVar,
  requiredVar,
  type EnvVar,
} from '../config/envVar.js';
import { DELIVERER_ENV } from '../delivery/constants.js';
import { RETRY_STRATEGIES } from '../delivery/retryDelay.js';
import { SQL_WRITER_ENV } from '../sqlWriter/constants.js';
import { SQL_TARGET_NAME_PATTERN } from '../subscriptions/sqlEndpoint.js';
import { metricDimensionConnectorId } from './writePipelineEnv.js';

/** How the SQL writer authenticates to PostgreSQL. */
export const SQL_AUTH_MODES = ['none', 'secret', 'iam'] as const;
export type SqlAuthMode = (typeof SQL_AUTH_MODES)[number];
/** TLS to PostgreSQL: verify the server's certificate and name, encrypt only, or none (loopback). */
export const SQL_TLS_MODES = ['verify-full', 'require', 'off'] as const;
export type SqlTlsMode = (typeof SQL_TLS_MODES)[number];

/** A `postgres://` URL with a host and a database; its text is never echoed (it may hold a password). */
const postgresUrlVar = (): EnvVar<URL> => ({
  name: SQL_WRITER_ENV.url,
  origin: 'stack',
  doc: 'postgres://user@host:port/database of the SQL target (no password: SQL_AUTH gives it).',
  parse: (raw) => {
    if (isUnset(raw)) throw new Error('is required');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('must be a postgres://user@host:port/database URL');
    }
    if (
      !['postgres:', 'postgresql:'].includes(url.protocol) ||
      url.hostname === '' ||
      url.pathname.length < 2
    )
      throw new Error('must be a postgres://user@host:port/database URL');
    return url;
  },
});

/** The SQL writer Lambda (lambdas/sql-writer): one SQL target, fed by the SQL queue. */
export const SQL_WRITER_CONTRACT = {
  ...AWS_RUNTIME_ENV,
  sqsEndpoint: endpointVar('sqs'),
  s3Endpoint: endpointVar('s3'),
  secretsManagerEndpoint: endpointVar('secretsManager'),
  dynamodbEndpoint: endpointVar('dynamodb'),
  stateTable: requiredVar(ENV.stateTable, 'DynamoDB state table: failed attempts per SQL message.'),
  connectorId: metricDimensionConnectorId,
  sqlQueueUrl: requiredVar(SQL_WRITER_ENV.queueUrl, 'The SQL queue it consumes (visibility changes).'),
  sqlDlqUrl: requiredVar(SQL_WRITER_ENV.dlqUrl, 'Its FIFO dead-letter queue (failures with their cause).'),
  targetName: {
    ...requiredVar(SQL_WRITER_ENV.targetName, 'Name of its SQL target: Subscriptions name it sql://<name>.'),
    parse: (raw: string | undefined) => {
      if (isUnset(raw)) throw new Error('is required');
      if (!SQL_TARGET_NAME_PATTERN.test(raw))
        throw new Error('must be a SQL target name ([a-z][a-z0-9-]{0,62})');
      return raw;
    },
  },
  url: postgresUrlVar(),
  auth: choiceVar(
    SQL_WRITER_ENV.auth,
    'none (the URL says it all: local mode), secret (SQL_SECRET_ID) or iam (an RDS IAM token per connection).',
    SQL_AUTH_MODES,
    'none',
    'stack',
  ),
  secretId: optionalVar(
    SQL_WRITER_ENV.secretId,
    'Secrets Manager secret of secret auth: JSON with "password".',
  ),
  tls: choiceVar(
    SQL_WRITER_ENV.tls,
    'TLS to the database: verify-full (certificate and host name), require (encrypted, unverified) or off.',
    SQL_TLS_MODES,
    'verify-full',
    'stack',
  ),
  iamRegion: optionalVar(
    SQL_WRITER_ENV.iamRegion,
    "Signing region of IAM auth tokens (unset = AWS_REGION: the database is in the function's VPC, so its region).",
    'tuning',
  ),
  mappingFile: optionalVar(
    SQL_WRITER_ENV.mappingFile,
    'Mapping file (JSON or YAML) shipped with the function; unset = the default transformers.',
  ),
  schema: optionalVar(SQL_WRITER_ENV.schema, "PostgreSQL schema of the tables (overrides the mapping's)."),
  applySchema: boolVar(
    SQL_WRITER_ENV.applySchema,
    "Run the mapping's DDL (CREATE ... IF NOT EXISTS) at cold start; else only check the schema.",
    false,
    'stack',
  ),
  maxConnections: intVar(SQL_WRITER_ENV.maxConnections, 'Connections in the pool per instance.', 2, {
    min: 1,
    max: 20,
  }),
  prepareStatements: boolVar(
    SQL_WRITER_ENV.prepareStatements,
    'Prepare each statement once per connection (off behind RDS Proxy or pgbouncer).',
    false,
  ),
  deliveryRetryCount: intVar(
    ENV.deliveryRetryCount,
    'Default retries before the DLQ (a subscription may ask for fewer).',
    4,
    { min: 0, max: 999 },
    'stack',
  ),
  retryBaseSeconds: intVar(
    DELIVERER_ENV.retryBaseSeconds,
    'First retry delay, seconds.',
    2,
    { min: 0, max: 43_200 },
    'stack',
  ),
  retryMaxSeconds: intVar(
    DELIVERER_ENV.retryMaxSeconds,
    'Largest retry delay, seconds.',
    300,
    { min: 0, max: 43_200 },
    'stack',
  ),
  retryStrategy: choiceVar(
    DELIVERER_ENV.retryStrategy,
    'Retry timing: exponential (doubling, with jitter) or fixed.',
    RETRY_STRATEGIES,
    'exponential',
    'stack',
  ),
} as const;

/** Rules across the SQL writer's variables. */
export const sqlWriterRules = (values: {
  readonly auth?: SqlAuthMode | undefined;
  readonly secretId?: string | undefined;
  readonly tls?: SqlTlsMode | undefined;
  readonly url?: URL | undefined;
}): string[] => {
  const problems: string[] = [];
  if (values.auth === 'secret' && values.secretId === undefined)
    problems.push(`${SQL_WRITER_ENV.auth}=secret needs ${SQL_WRITER_ENV.secretId}`);
  if (values.auth === 'iam' && values.tls === 'off')
    problems.push(`${SQL_WRITER_ENV.auth}=iam needs TLS (${SQL_WRITER_ENV.tls} verify-full or require)`);
  if (values.auth === 'iam' && values.url?.username === '')
    problems.push(`${SQL_WRITER_ENV.url} must name the database user of IAM authentication`);
  if (values.auth !== 'none' && values.url?.password !== undefined && values.url.password !== '')
    problems.push(
      `${SQL_WRITER_ENV.url} must not hold a password with ${SQL_WRITER_ENV.auth}=${values.auth}`,
    );
  return problems;
};
