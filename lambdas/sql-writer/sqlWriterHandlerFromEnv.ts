import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, s3ClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { DynamoDeliveryAttempts } from '../../shared/delivery/DynamoDeliveryAttempts.js';
import { lazyS3Client } from '../../shared/delivery/lazyS3Client.js';
import { ensureStructureDefinitions } from '../../shared/ingest/validateFhirResource.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { SQL_WRITER_CONTRACT, sqlWriterRules } from '../../shared/runtime/sqlWriterContract.js';
import { checkSchema } from '../../shared/sqlTarget/checkSchema.js';
import { compileMapping } from '../../shared/sqlTarget/compileMapping.js';
import { DEFAULT_MAPPING } from '../../shared/sqlTarget/defaultMapping.js';
import { generateDdl } from '../../shared/sqlTarget/generateDdl.js';
import { loadMappingFile } from '../../shared/sqlTarget/loadMappingFile.js';
import { SQL_WRITER_SERVICE } from '../../shared/sqlWriter/constants.js';
import { createSqlWriterHandler, type SqlWriterHandler } from './createSqlWriterHandler.js';
import { sqlClientFromEnv } from './sqlClientFromEnv.js';

/**
 * The SQL writer Lambda handler from its environment (`SQL_WRITER_CONTRACT`): the SQS client, the
 * target's pg pool (IAM token, Secrets Manager secret or none) and its mapping (a bundled file or the
 * default transformers), so local mode builds it exactly as Lambda does. Every problem is reported at
 * once. The FHIR definitions are loaded on the first batch (FHIRPath navigates several times faster
 * with them).
 *
 * @example
 * export const handler = sqlWriterHandlerFromEnv(process.env);
 */
export const sqlWriterHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<SqlWriterHandler> => {
  const values = readEnv(SQL_WRITER_CONTRACT, env, 'SQL writer', sqlWriterRules);
  const logger = sinks.logger ?? loggerFromEnv(SQL_WRITER_SERVICE, env);
  const sqs = new SQSClient(awsClientConfig(values, values.sqsEndpoint));
  const s3 = lazyS3Client(s3ClientConfig(values));
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  let secrets: SecretsManagerClient | undefined;
  const client = sqlClientFromEnv(
    values,
    {
      ...(values.awsRegion ? { region: values.awsRegion } : {}),
      credentials: sqs.config.credentials,
      secrets: () =>
        (secrets ??= new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint))),
    },
    (error) => logger.warn('An idle SQL connection failed; the pool replaces it', { error: error.name }),
  );
  const schema = values.schema === undefined ? {} : { schema: values.schema };
  const prepare = async () => {
    const mapping =
      values.mappingFile === undefined
        ? compileMapping({ ...DEFAULT_MAPPING, ...schema }, 'the default SQL mapping')
        : await loadMappingFile(values.mappingFile, schema);
    if (values.applySchema) for (const statement of generateDdl(mapping)) await client.query(statement);
    return { target: { client, mapping }, problems: await checkSchema(client, mapping) };
  };
  let definitions: ReturnType<typeof ensureStructureDefinitions> | undefined;
  const handler = createSqlWriterHandler({
    targetName: values.targetName,
    prepare,
    sqs,
    s3,
    queueUrl: values.sqlQueueUrl,
    deadLetterQueueUrl: values.sqlDlqUrl,
    attempts: new DynamoDeliveryAttempts(DynamoDBDocumentClient.from(dynamo), values.stateTable),
    defaultMaxAttempts: values.deliveryRetryCount + 1,
    backoff: {
      baseSeconds: values.retryBaseSeconds,
      maxSeconds: values.retryMaxSeconds,
      strategy: values.retryStrategy,
    },
    definitions: {
      loadTypesIn: (resource) => (definitions ??= ensureStructureDefinitions()).loadTypesIn(resource),
    },
    now: Date.now,
    logger,
    metrics: sinks.metrics ?? metricsFromEnv(SQL_WRITER_SERVICE, env),
  });
  return Object.assign(handler, {
    destroy: () => {
      void client.close().catch(() => undefined);
      for (const owned of [sqs, s3, dynamo, secrets]) owned?.destroy();
    },
  });
};
