/**
 * Heartbeat check: a scheduled invocation (EventBridge; a timer in local mode) looks at every source
 * Subscription the connector follows and catches up the ones whose heartbeat is overdue.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { checkHeartbeats, type HeartbeatCheckDeps } from '../../shared/notificationIntake/checkHeartbeats.js';
import { INGEST_METRICS } from '../../shared/ingest/IngestMetricsCollector.js';

export interface NotificationCheckHandlerDeps extends Omit<HeartbeatCheckDeps, 'logger' | 'observer'> {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Overdue source Subscriptions found by this run, and the jobs started for them. */
export interface NotificationCheckResult {
  readonly overdue: readonly { readonly subscription: string; readonly jobId?: string }[];
}

export type NotificationCheckHandler = (
  event: ScheduledEvent,
  context: Context,
) => Promise<NotificationCheckResult>;

/**
 * Builds the scheduled handler from its dependencies (tests and local mode pass stand-in clients).
 * It publishes `MissedNotifications` (one per overdue heartbeat) under the same name ingest uses.
 *
 * @example
 * export const handler = createNotificationCheckHandler({ sources, states, jobs, logger, metrics });
 */
export const createNotificationCheckHandler = (
  deps: NotificationCheckHandlerDeps,
): NotificationCheckHandler => {
  const { logger, metrics } = deps;
  const base = async (): Promise<NotificationCheckResult> => {
    let missed = 0;
    const overdue = await checkHeartbeats({
      ...deps,
      logger,
      observer: { missed: (count) => (missed += count) },
    });
    metrics.addMetric(INGEST_METRICS.missedNotifications, MetricUnit.Count, missed);
    return {
      overdue: overdue.map((found) => ({
        subscription: found.subscription,
        ...(found.applied.jobId ? { jobId: found.applied.jobId } : {}),
      })),
    };
  };
  return middy(base)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics)) as unknown as NotificationCheckHandler;
};
