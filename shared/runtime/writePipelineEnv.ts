import { ENV } from '../config/constants.js';
import { AWS_RUNTIME_ENV, endpointVar } from '../config/awsEnv.js';
import {
  choiceVar,
  intVar,
  isUnset,
  optionalVar,
  requiredVar,
  type EnvOrigin,
  type EnvVar,
} from '../config/envVar.js';
import { INGEST_ENV } from '../ingest/constants.js';
import { parseAllowedEndpoints } from '../subscriptions/endpoints.js';
import { SQL_TARGET_NAME_PATTERN } from '../subscriptions/sqlEndpoint.js';
import { SQL_WRITER_ENV } from '../sqlWriter/constants.js';

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

/** Comma-separated SQL target names (`sql://<name>` endpoints a Subscription may name). */
export const sqlTargetNamesVar = (origin: EnvOrigin = 'stack'): EnvVar<readonly string[]> => ({
  name: SQL_WRITER_ENV.targetNames,
  origin,
  doc: 'Comma-separated SQL target names a Subscription may target as sql://<name> (needs SQL_QUEUE_URL).',
  parse: (raw) => {
    if (isUnset(raw)) return [];
    const names = raw
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const bad = names.findIndex((name) => !SQL_TARGET_NAME_PATTERN.test(name));
    if (bad >= 0) throw new Error(`entry #${bad + 1} is not a SQL target name ([a-z][a-z0-9-]{0,62})`);
    return names;
  },
});

/** The connector id as every function's `connector` metric dimension (shared/runtime/powertoolsFromEnv.ts). */
export const metricDimensionConnectorId = optionalVar(
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
  sqlQueueUrl: optionalVar(
    SQL_WRITER_ENV.queueUrl,
    'SQS FIFO queue of SQL-target deliveries (the SQL writer reads it); set with SQL_TARGET_NAMES.',
  ),
  sqlTargetNames: sqlTargetNamesVar(),
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

/** Cross-variable rule of the write pipeline: SQL targets need the SQL queue. */
export const writePipelineRules = (values: {
  readonly sqlQueueUrl?: string | undefined;
  readonly sqlTargetNames?: readonly string[] | undefined;
}): string[] =>
  (values.sqlTargetNames?.length ?? 0) > 0 && values.sqlQueueUrl === undefined
    ? [`${SQL_WRITER_ENV.targetNames} needs ${SQL_WRITER_ENV.queueUrl} (where SQL-target deliveries go)`]
    : [];
