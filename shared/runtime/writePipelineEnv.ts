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
