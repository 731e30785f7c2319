import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoJobStore } from '../../shared/backfill/DynamoJobStore.js';
import { cachedSecretReader } from '../../shared/backfill/source/cachedSecretReader.js';
import { createSourceReaderFromEnv } from '../../shared/backfill/source/createSourceReaderFromEnv.js';
import { SqsWorkQueue } from '../../shared/backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../../shared/backfill/subscriptionLookup.js';
import { awsClientConfig, BACKFILL_WORKER_CONTRACT, readEnv } from '../../shared/config/envContract.js';
import type { Destroyable, RuntimeSinks } from '../../shared/config/runtimeSinks.js';
import { compileCriteria } from '../../shared/criteria/index.js';
import { METRICS_NAMESPACE } from '../../shared/delivery/constants.js';
import { writePipelineFromEnv } from '../../shared/ingest/writePipelineFromEnv.js';
import { createBackfillWorkerHandler, type BackfillWorkerHandler } from './createBackfillWorkerHandler.js';

/**
 * The backfill worker handler from its environment (`BACKFILL_WORKER_CONTRACT`): the write pipeline,
 * job store, work queue and the source reader (built on first use: its credentials come from a secret).
 * Every problem of the environment is reported at once, when the factory runs.
 *
 * @example
 * const handler = backfillWorkerHandlerFromEnv(process.env);
 */
export const backfillWorkerHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<BackfillWorkerHandler> => {
  const values = readEnv(BACKFILL_WORKER_CONTRACT, env, 'backfill worker');
  const logger = sinks.logger ?? new Logger({ serviceName: 'backfill-worker' });
  const metrics =
    sinks.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'backfill-worker' });
  const write = writePipelineFromEnv(values, { logger });
  const secretsClient = new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint));
  const getSecret = cachedSecretReader(secretsClient);
  const handler = createBackfillWorkerHandler({
    jobs: new DynamoJobStore({ client: write.document, tableName: write.tableName }),
    subscriptions: subscriptionLookup(write.subscriptions),
    queue: new SqsWorkQueue({ client: write.sqs, queueUrl: values.backfillQueueUrl }),
    source: () =>
      createSourceReaderFromEnv(
        {
          getSecret,
          credentials: write.sqs.config.credentials,
        },
        env,
      ),
    pipeline: write.pipeline,
    compileCriteria,
    logger,
    metrics,
  });
  return Object.assign((...args: Parameters<BackfillWorkerHandler>) => handler(...args), {
    destroy: () => {
      write.destroy();
      secretsClient.destroy();
    },
  });
};
