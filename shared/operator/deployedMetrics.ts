import { CONNECTOR_DIMENSION, DELIVERY_METRICS, METRICS_NAMESPACE } from '../delivery/constants.js';
import { INGEST_METRICS } from '../ingest/IngestMetricsCollector.js';
import { getMetricStatistics, type CloudWatchOptions } from './cloudWatchMetrics.js';

/** What `hlc status` reads from CloudWatch for a deployed stack. */
export interface DeployedMetrics {
  /** Latest `ApproximateAgeOfOldestMessage` (Maximum, 1-minute periods, last 15 minutes) per queue. */
  readonly oldestMessageAgeSeconds: Readonly<Record<string, number | undefined>>;
  /**
   * Deliverer counts and the ingest `WritesUnmatched` count over the last hour (namespace
   * HealthLakeConnector, connector and service dimensions); absent when no connector id was given.
   */
  readonly lastHour?: Readonly<Record<string, number>>;
}

/** The deliverer's metric names and `service` dimension (lambdas/deliverer/createDelivererHandler.ts). */
const DELIVERER_SERVICE = 'healthlake-connector-deliverer';
/** The ingest Lambda's `service` dimension; `WritesUnmatched` is published without ResourceType. */
const INGEST_SERVICE = 'ingest';
const COUNTS = [
  [DELIVERER_SERVICE, DELIVERY_METRICS.delivered],
  [DELIVERER_SERVICE, DELIVERY_METRICS.deleted],
  [DELIVERER_SERVICE, DELIVERY_METRICS.retried],
  [DELIVERER_SERVICE, DELIVERY_METRICS.deadLettered],
  [DELIVERER_SERVICE, DELIVERY_METRICS.droppedNotSupported],
  [DELIVERER_SERVICE, DELIVERY_METRICS.filtered],
  [INGEST_SERVICE, INGEST_METRICS.writesUnmatched],
] as const;

const queueName = (url: string): string => url.replace(/\/+$/, '').split('/').pop() ?? url;

/**
 * Reads the oldest message age of each queue and the last hour's delivery counts from CloudWatch.
 * SQS itself does not expose the age of the oldest message; CloudWatch does (AWS/SQS).
 */
export const deployedMetrics = async (
  options: CloudWatchOptions,
  queues: Readonly<Record<string, string | undefined>>,
  connectorId?: string,
): Promise<DeployedMetrics> => {
  const named = Object.entries(queues).filter((entry): entry is [string, string] => !!entry[1]);
  const ages = await Promise.all(
    named.map(async ([name, url]) => {
      const points = await getMetricStatistics(options, {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: queueName(url) },
        statistic: 'Maximum',
        windowSeconds: 900,
        periodSeconds: 60,
      });
      return [name, points.at(-1)?.value] as const;
    }),
  );
  const oldestMessageAgeSeconds = Object.fromEntries(ages);
  // GetMetricStatistics matches the exact dimension set, which includes the connector id.
  if (connectorId === undefined) return { oldestMessageAgeSeconds };
  const counts = await Promise.all(
    COUNTS.map(async ([service, metricName]) => {
      const points = await getMetricStatistics(options, {
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: { [CONNECTOR_DIMENSION]: connectorId, service },
        statistic: 'Sum',
        windowSeconds: 3600,
        periodSeconds: 3600,
      });
      return [metricName, points.reduce((sum, point) => sum + point.value, 0)] as const;
    }),
  );
  return { oldestMessageAgeSeconds, lastHour: Object.fromEntries(counts) };
};
