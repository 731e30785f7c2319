import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoJobStore } from '../../shared/backfill/DynamoJobStore.js';
import { DynamoSourceSubscriptionStore } from '../../shared/notifications/DynamoSourceSubscriptionStore.js';
import { cachedSecretReader } from '../../shared/fhirClient/cachedSecretReader.js';
import { createSourceReaderFromEnv } from '../../shared/runtime/createSourceReaderFromEnv.js';
import { SqsWorkQueue } from '../../shared/backfill/SqsWorkQueue.js';
import { SqsReadDeadLetterQueue } from '../../shared/backfill/SqsReadDeadLetterQueue.js';
import { subscriptionLookup } from '../../shared/backfill/subscriptionLookup.js';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { readEnv } from '../../shared/config/envVar.js';
import { BACKFILL_WORKER_CONTRACT } from '../../shared/runtime/backfillWorkerContract.js';
import { sourceFhirRules } from '../../shared/runtime/sourceFhirEnv.js';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { criteriaCompiler } from '../../shared/criteria/index.js';
import { writePipelineFromEnv } from '../../shared/runtime/writePipelineFromEnv.js';
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
  const values = readEnv(BACKFILL_WORKER_CONTRACT, env, 'backfill worker', sourceFhirRules);
  const logger = sinks.logger ?? loggerFromEnv('backfill-worker', env);
  const metrics = sinks.metrics ?? metricsFromEnv('backfill-worker', env);
  // Backfill always has a source: criteria only it can evaluate are matched, and confirmed there.
  const write = writePipelineFromEnv(values, { logger, sourceEvaluation: true, troubleshooting: logger });
  const secretsClient = new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint));
  const getSecret = cachedSecretReader(secretsClient);
  const sourceSubscriptions = new DynamoSourceSubscriptionStore({
    client: write.document,
    tableName: write.tableName,
  });
  const handler = createBackfillWorkerHandler({
    jobs: new DynamoJobStore({ client: write.document, tableName: write.tableName }),
    subscriptions: subscriptionLookup(write.subscriptions),
    queue: new SqsWorkQueue({ client: write.sqs, queueUrl: values.backfillQueueUrl }),
    ...(values.backfillDlqUrl === undefined
      ? {}
      : { deadLetters: new SqsReadDeadLetterQueue({ client: write.sqs, queueUrl: values.backfillDlqUrl }) }),
    source: () =>
      createSourceReaderFromEnv(
        {
          getSecret,
          credentials: write.sqs.config.credentials,
        },
        env,
      ),
    pipeline: write.pipeline,
    maxReceives: values.backfillMaxReceives,
    compileCriteria: criteriaCompiler({ sourceEvaluation: true }),
    logger,
    metrics,
    // A finished catch-up repaired its gaps: `hlc status` counts them per source Subscription.
    onNotificationJobCompleted: async (job) => {
      if (job.notification && job.notification.gaps > 0) {
        await sourceSubscriptions.addRepaired(job.notification.sourceSubscriptionId, job.notification.gaps);
      }
    },
  });
  return Object.assign((...args: Parameters<BackfillWorkerHandler>) => handler(...args), {
    destroy: () => {
      write.destroy();
      secretsClient.destroy();
    },
  });
};
