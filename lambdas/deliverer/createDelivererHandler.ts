import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import { type BatchDeliveryDeps } from '../../shared/delivery/batchTypes.js';
import { startBatchDelivery } from '../../shared/delivery/deliverBatch.js';
import { DataStoreHealth } from '../../shared/delivery/dataStoreHealth.js';
import { createDeliveryTelemetry } from './telemetry.js';

/** What the deliverer handler is built from; local mode, tests and the benchmark pass their own. */
export interface DelivererHandlerDeps extends Omit<BatchDeliveryDeps, 'telemetry'> {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Service name when POWERTOOLS_SERVICE_NAME is not set. */
export const DELIVERER_SERVICE = 'healthlake-connector-deliverer';

export type DelivererHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The deliverer Lambda: an SQS FIFO batch in, `batchItemFailures` out (ReportBatchItemFailures,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). After a failure in a
 * message group the rest of that group is reported failed; other groups go on.
 *
 * @example
 * const handler = createDelivererHandler({ sqs, ledger, delivered, healthLake: (e) => pool.get(e), now: Date.now, config });
 * const { batchItemFailures } = await handler(event, context);
 */
export const createDelivererHandler = (deps: DelivererHandlerDeps): DelivererHandler => {
  const logger = deps.logger ?? loggerFromEnv(DELIVERER_SERVICE);
  const metrics = deps.metrics ?? metricsFromEnv(DELIVERER_SERVICE);
  const telemetry = createDeliveryTelemetry(logger, metrics);
  // One per instance: what a batch learns about a failing data store defers its records in the next.
  const batchDeps: BatchDeliveryDeps = {
    ...deps,
    dataStores: deps.dataStores ?? new DataStoreHealth(deps.now),
    telemetry,
  };
  if (deps.config.allowListProblem) {
    // Said once, loudly, at start-up: every message will be dead-lettered with this cause.
    logger.error('Delivery allow-list unusable: nothing will be delivered', {
      problem: deps.config.allowListProblem,
    });
  }

  const deliver = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const batch = startBatchDelivery(event.Records, batchDeps, () => context.getRemainingTimeInMillis());
    const response = await processPartialResponse(
      event,
      (record: SQSEvent['Records'][number]) => batch.settle(record),
      new SqsFifoPartialProcessorAsync(),
      // A batch whose records all failed is still a partial response, not an invocation error.
      { skipGroupOnError: true, throwOnFullBatchFailure: false },
    );
    await batch.done;
    telemetry.flush();
    return response;
  };

  return middy(deliver)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics)) as unknown as DelivererHandler;
};
