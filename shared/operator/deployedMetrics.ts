import {
  CONNECTOR_DIMENSION,
  DATA_STORE_DIMENSION,
  DELIVERY_METRICS,
  METRICS_NAMESPACE,
} from '../delivery/constants.js';
import type { DataStoreCounts } from './localAdmin.js';
import { INGEST_METRICS } from '../ingest/IngestMetricsCollector.js';
import { SQL_WRITER_METRICS, SQL_WRITER_SERVICE } from '../sqlWriter/constants.js';
import { getMetricStatistics, type CloudWatchOptions } from './cloudWatchMetrics.js';

/** What `hlc status` reads from CloudWatch for a deployed stack. */
export interface DeployedMetrics {
  /** Latest `ApproximateAgeOfOldestMessage` (Maximum, 1-minute periods, last 15 minutes) per queue. */
  readonly oldestMessageAgeSeconds: Readonly<Record<string, number | undefined>>;
  /**
   * Deliverer counts (and the SQL writer's, with a `sql` queue) and the ingest `WritesUnmatched` count over the last hour (namespace
   * HealthLakeConnector, connector and service dimensions); absent when no connector id was given.
   */
  readonly lastHour?: Readonly<Record<string, number>>;
  /** Delivered, throttled and access-denied counts over the last hour per data store asked for. */
  readonly dataStores?: Readonly<Record<string, DataStoreCounts>>;
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
  [INGEST_SERVICE, INGEST_METRICS.identicalResends],
] as const;
/** The SQL writer's counts, read when a SQL queue is named (a SQL target is configured). */
const SQL_COUNTS = [
  [SQL_WRITER_SERVICE, SQL_WRITER_METRICS.written],
  [SQL_WRITER_SERVICE, SQL_WRITER_METRICS.deleted],
  [SQL_WRITER_SERVICE, SQL_WRITER_METRICS.retried],
  [SQL_WRITER_SERVICE, SQL_WRITER_METRICS.deadLettered],
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
  /** Data store ids (the `DataStore` dimension) whose counts to read; at most 20. */
  dataStores: readonly string[] = [],
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
    [...COUNTS, ...(queues.sql ? SQL_COUNTS : [])].map(async ([service, metricName]) => {
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
  const lastHour = (service: string, metricName: string, dimensions: Record<string, string>) =>
    getMetricStatistics(options, {
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensions: { [CONNECTOR_DIMENSION]: connectorId, service, ...dimensions },
      statistic: 'Sum',
      windowSeconds: 3600,
      periodSeconds: 3600,
    }).then((points) => points.reduce((sum, point) => sum + point.value, 0));
  const perStore = await Promise.all(
    dataStores.slice(0, 20).map(async (dataStore) => {
      const dimension = { [DATA_STORE_DIMENSION]: dataStore };
      const [delivered, throttled, accessDenied] = await Promise.all(
        [DELIVERY_METRICS.delivered, DELIVERY_METRICS.throttled, DELIVERY_METRICS.accessDenied].map((name) =>
          lastHour(DELIVERER_SERVICE, name, dimension),
        ),
      );
      return [
        dataStore,
        { delivered: delivered!, throttled: throttled!, accessDenied: accessDenied! },
      ] as const;
    }),
  );
  return {
    oldestMessageAgeSeconds,
    lastHour: Object.fromEntries(counts),
    ...(perStore.length > 0 ? { dataStores: Object.fromEntries(perStore) } : {}),
  };
};
