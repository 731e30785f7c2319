/**
 * Reconcile worker handler: one SQS record = the plan or one page of a reconcile job
 * (shared/reconcile/createReconcileProcessor). Failed records are reported individually so SQS
 * redelivers only them; a page then resumes where it stopped.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReconcileWorkerDeps } from '../../shared/reconcile/PageContext.js';
import { createReconcileProcessor } from '../../shared/reconcile/createReconcileProcessor.js';
import { parseReconcileMessage } from '../../shared/reconcile/parseReconcileMessage.js';

export const RECONCILE_METRICS = {
  compared: 'ReconcileCompared',
  jobsFailed: 'ReconcileJobsFailed',
} as const;

export interface ReconcileWorkerHandlerDeps extends Omit<ReconcileWorkerDeps, 'logger'> {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type ReconcileWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the SQS handler from its dependencies (tests pass stand-in clients).
 *
 * @example
 * const handler = createReconcileWorkerHandler({ jobs, subscriptions, queue, source, ... });
 */
export const createReconcileWorkerHandler = (deps: ReconcileWorkerHandlerDeps): ReconcileWorkerHandler => {
  const { logger, metrics } = deps;
  const processMessage = createReconcileProcessor({ ...deps, logger });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const message = parseReconcileMessage(record.body);
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1;
    const outcome = await processMessage(message, { receiveCount });
    metrics.addMetric(RECONCILE_METRICS.compared, MetricUnit.Count, outcome.compared);
    if (outcome.outcome === 'failed') metrics.addMetric(RECONCILE_METRICS.jobsFailed, MetricUnit.Count, 1);
    if (outcome.jobCompleted) logger.info('Reconcile job completed', { jobId: message.jobId });
  };
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (ReportBatchItemFailures)
  const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  return middy(base)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics)) as unknown as ReconcileWorkerHandler;
};
