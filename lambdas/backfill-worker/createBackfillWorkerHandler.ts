/**
 * Backfill worker: one SQS record = one page of a backfill job (shared/backfill/processWorkMessage).
 * Failed records are reported individually so SQS redelivers only them; the page then resumes
 * where it stopped (see createWorkProcessor).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseWorkMessage } from '../../shared/backfill/parseWorkMessage.js';
import type { BackfillWorkerDeps } from '../../shared/backfill/createWorkProcessor.js';
import { createWorkProcessor } from '../../shared/backfill/createWorkProcessor.js';

export const METRIC_NAMES = {
  read: 'BackfillRead',
  enqueued: 'BackfillEnqueued',
  skipped: 'BackfillSkipped',
  jobsFailed: 'BackfillJobsFailed',
  /** Notification reads the source kept failing, dead-lettered to the backfill DLQ with their cause. */
  readsDeadLettered: 'BackfillReadsDeadLettered',
} as const;

export interface BackfillWorkerHandlerDeps extends Omit<BackfillWorkerDeps, 'logger'> {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type BackfillWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the SQS handler from its dependencies (tests and local mode pass fakes or stand-in clients).
 *
 * @example
 * export const handler = createBackfillWorkerHandler({ jobs, subscriptions, queue, source, pipeline, compileCriteria, logger, metrics });
 */
export const createBackfillWorkerHandler = (deps: BackfillWorkerHandlerDeps): BackfillWorkerHandler => {
  const { logger, metrics } = deps;
  const processMessage = createWorkProcessor({ ...deps, logger });
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = parseWorkMessage(record.body);
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1;
    const outcome = await processMessage(message, { receiveCount });
    metrics.addMetric(METRIC_NAMES.read, MetricUnit.Count, outcome.counts.read);
    metrics.addMetric(METRIC_NAMES.enqueued, MetricUnit.Count, outcome.counts.enqueued);
    metrics.addMetric(METRIC_NAMES.skipped, MetricUnit.Count, outcome.counts.skipped);
    if (outcome.outcome === 'failed') metrics.addMetric(METRIC_NAMES.jobsFailed, MetricUnit.Count, 1);
    if (outcome.readsDeadLettered) {
      metrics.addMetric(METRIC_NAMES.readsDeadLettered, MetricUnit.Count, outcome.readsDeadLettered);
    }
    if (outcome.jobCompleted) logger.info('Backfill job completed', { jobId: message.jobId });
  };

  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (ReportBatchItemFailures)
  // A batch whose records all failed is still a partial response: SQS redelivers each of them.
  const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });

  return middy(base)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics)) as unknown as BackfillWorkerHandler;
};
