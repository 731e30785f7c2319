import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, s3ClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';
import { sourceFhirRules } from '../../shared/runtime/sourceFhirEnv.js';
import type { PayloadSearchSource } from '../../shared/delivery/types.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { delivererConfigOf } from '../../shared/runtime/delivererConfig.js';
import { DynamoDeliveredVersions } from '../../shared/versions/DynamoDeliveredVersions.js';
import { lazyS3Client } from '../../shared/delivery/lazyS3Client.js';
import { DynamoDeliveryAttempts } from '../../shared/delivery/DynamoDeliveryAttempts.js';
import { ownCredentials, roleCredentials } from '../../shared/healthlake/credentials.js';
import { HealthLakeClientPool } from '../../shared/healthlake/HealthLakeClientPool.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import type { payloadSearchSource } from './payloadSearchSource.js';
import type { TransformInvoker } from '../../shared/delivery/transformInvoker.js';
import type { transformLambda } from './transformLambda.js';
import {
  createDelivererHandler,
  DELIVERER_SERVICE,
  type DelivererHandler,
} from './createDelivererHandler.js';

/**
 * The deliverer Lambda handler from its environment (`DELIVERER_CONTRACT`): SDK clients, HealthLake
 * credentials (`fromTemporaryCredentials` into the customer role, or the function's own) and the
 * HealthLake client pool, all configured from `env` (region, endpoints, credentials), so local mode
 * builds it exactly as Lambda does; with SOURCE_FHIR_BASE_URL, the source reader payload searches run
 * on (built on first use). Every problem is reported at once.
 *
 * @example
 * export const handler = delivererHandlerFromEnv(process.env);
 */
export const delivererHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<DelivererHandler> => {
  const values = readEnv(DELIVERER_CONTRACT, env, 'deliverer', sourceFhirRules);
  const config = delivererConfigOf(values);
  const dynamo = new DynamoDBClient(awsClientConfig(values, values.dynamodbEndpoint));
  const documents = DynamoDBDocumentClient.from(dynamo);
  const sqs = new SQSClient(awsClientConfig(values, values.sqsEndpoint));
  const s3 = lazyS3Client(s3ClientConfig(values));
  const sts = awsClientConfig(values, values.stsEndpoint);
  const credentials = config.role
    ? roleCredentials({
        role: config.role,
        connectorId: config.connectorId,
        durationSeconds: config.sessionDurationSeconds,
        sts,
      })
    : ownCredentials(sts.credentials);
  const healthLake = new HealthLakeClientPool({
    credentials: credentials.provider,
    ...(config.region ? { region: config.region } : {}),
    connectTimeoutMs: config.connectTimeoutMs,
    responseTimeoutMs: config.responseTimeoutMs,
    maxSockets: config.maxSockets,
    adaptivePacing: config.adaptivePacing,
    bundleRequestsPerSecond: values.healthLakeBundleRequestsPerSecond,
    maxRetryAfterSeconds: values.retryMaxSeconds,
  });
  // Payload search (HAPI subscription-payload-search-criteria) reads the source server as backfill does.
  const sourceBaseUrl = values.sourceBaseUrl;
  type Source = Awaited<ReturnType<typeof payloadSearchSource>>;
  let source: Promise<Source> | undefined;
  const sourceReader =
    sourceBaseUrl === undefined
      ? undefined
      : (): Promise<PayloadSearchSource> => {
          // Loaded on the first payload search: no cold-start cost for deliverers without one.
          source ??= import('./payloadSearchSource.js')
            .then((loaded) =>
              loaded.payloadSearchSource({ ...values, sourceBaseUrl }, sqs.config.credentials),
            )
            .catch((error: unknown) => {
              source = undefined; // a secret that could not be read is read again next time
              throw error;
            });
          return source.then(({ reader, check }) => ({ reader, check }));
        };
  // Transforms (delivery.transforms) run as Lambda functions; the client loads with the first one.
  type Transforms = ReturnType<typeof transformLambda>;
  let transforms: Promise<Transforms> | undefined;
  const transform: TransformInvoker | undefined =
    values.transforms.size === 0
      ? undefined
      : {
          invoke: async (...args) => {
            transforms ??= import('./transformLambda.js').then((loaded) => loaded.transformLambda(values));
            return (await transforms).invoker.invoke(...args);
          },
        };
  const handler = createDelivererHandler({
    sqs,
    s3,
    ledger: new DynamoVersionLedger({ client: documents, tableName: config.stateTable }),
    delivered: new DynamoDeliveredVersions(documents, config.stateTable),
    attempts: new DynamoDeliveryAttempts(documents, config.stateTable),
    healthLake: (endpoint) => healthLake.get(endpoint),
    credentialsRejected: () => credentials.refresh(),
    ...(sourceReader === undefined ? {} : { source: sourceReader }),
    maxBundleEntries: values.healthLakeMaxBundleEntries,
    ...(transform === undefined ? {} : { transform, transformTimeoutMs: values.transformTimeoutMs }),
    now: Date.now,
    config: config.batch,
    logger: sinks.logger ?? loggerFromEnv(DELIVERER_SERVICE, env),
    metrics: sinks.metrics ?? metricsFromEnv(DELIVERER_SERVICE, env),
  });
  return Object.assign((...args: Parameters<DelivererHandler>) => handler(...args), {
    destroy: () => {
      healthLake.destroy();
      for (const client of [sqs, s3, dynamo]) client.destroy();
      void source?.then(
        ({ destroy }) => destroy(),
        () => undefined,
      );
      void transforms?.then(({ destroy }) => destroy());
    },
  });
};
