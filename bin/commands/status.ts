import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { INGEST_METRICS } from '../../shared/ingest/IngestMetricsCollector.js';
import { deployedMetrics, type DeployedMetrics } from '../../shared/operator/deployedMetrics.js';
import type { DeliveryState } from '../../shared/operator/deliverySwitch.js';
import {
  fetchLocalJson,
  type DataStoreCounts,
  type LocalStatsView,
} from '../../shared/operator/localAdmin.js';
import {
  notificationStatusLines,
  readNotificationStatus,
  type NotificationSourceStatus,
} from '../../shared/operator/notificationStatusOps.js';
import { queueStatus } from '../../shared/operator/queueStatus.js';
import { apiClientFor, sqsClientFor, type CliConfig } from '../cliConfig.js';
import { age, needQueue, type Command } from '../cliIo.js';
import { deliveryWarnings } from '../deliveryWarnings.js';
import { deliveryLine, switchDelivery } from './delivery.js';

/** `hlc status`: delivery running or paused, queue depths, oldest message age, delivery counts. */
export const status: Command = async ({ config, io, json }) => {
  const sqs = sqsClientFor(config);
  try {
    const queues = {
      delivery: config.deliveryQueueUrl,
      'delivery-dlq': config.dlqUrl,
      backfill: config.backfillQueueUrl,
      'backfill-dlq': config.backfillDlqUrl,
      sql: config.sqlQueueUrl,
      'sql-dlq': config.sqlDlqUrl,
    };
    if (!Object.values(queues).some(Boolean)) {
      needQueue(config, undefined, 'delivery queue', 'delivery-queue-url', 'HLC_DELIVERY_QUEUE_URL');
    }
    const knowsDelivery = config.local || config.deliveryMappingId || config.delivererFunction;
    const [delivery, depths, stats, cloudWatch, notificationSources] = await Promise.all([
      knowsDelivery
        ? switchDelivery(config, 'state').catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          )
        : Promise.resolve(undefined),
      queueStatus(sqs, queues),
      config.local
        ? fetchLocalJson<LocalStatsView>(config.localUrl, 'stats', config.token)
        : Promise.resolve(undefined),
      config.local
        ? Promise.resolve(undefined)
        : deployedMetrics(
            {
              region: config.region,
              credentials: sqs.config.credentials,
              ...(config.cloudWatchEndpoint ? { endpoint: config.cloudWatchEndpoint } : {}),
            },
            {
              delivery: config.deliveryQueueUrl,
              'delivery-dlq': config.dlqUrl,
              sql: config.sqlQueueUrl,
              'sql-dlq': config.sqlDlqUrl,
            },
            config.connectorId,
            config.dataStores,
          ).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      notificationSourcesOf(config),
    ]);
    const warnings =
      delivery === undefined || delivery instanceof Error
        ? []
        : deliveryWarnings({
            ...delivery,
            now: new Date(),
            ...(await retentionIfPaused(sqs, delivery, config.deliveryQueueUrl)),
            ...oldestDeliveryAge(stats, cloudWatch),
          });
    if (json) {
      const metrics = cloudWatch instanceof Error ? { error: cloudWatch.message } : cloudWatch;
      const switchState = delivery instanceof Error ? { error: delivery.message } : delivery;
      io.out(
        JSON.stringify(
          {
            delivery: switchState,
            warnings,
            queues: depths,
            stats,
            cloudWatch: metrics,
            notificationSources:
              notificationSources instanceof Error
                ? { error: notificationSources.message }
                : notificationSources,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(
      delivery === undefined
        ? 'delivery: state unknown (pass --delivery-mapping-id or --deliverer-function, stack outputs)'
        : delivery instanceof Error
          ? `delivery: state unavailable (${delivery.message})`
          : `delivery: ${deliveryLine(delivery)}`,
    );
    for (const warning of warnings) io.out(`warning: ${warning}`);
    io.out('queue            visible  in-flight  delayed');
    for (const depth of depths) {
      io.out(
        `${depth.name.padEnd(16)} ${String(depth.visible).padStart(7)}  ${String(depth.inFlight).padStart(9)}  ${String(depth.delayed).padStart(7)}`,
      );
    }
    if (stats) {
      io.out(
        stats.oldestMessageAgeSeconds === undefined
          ? 'oldest delivery message: none waiting'
          : `oldest delivery message: ${age(stats.oldestMessageAgeSeconds)} (local delivery queue)`,
      );
      io.out(
        `since start (${age(stats.uptimeSeconds)}): ingested ${stats.ingested}${resends(stats.identicalResends)}, delivered ${stats.delivered}, ` +
          `retried ${stats.retried}, dead-lettered ${stats.deadLettered}, filtered ${stats.filtered ?? 0}, ingest errors ${stats.ingestErrors}`,
      );
      io.out(`delivered per minute (oldest first): ${stats.deliveredPerMinute.join(' ') || 'none yet'}`);
      io.out(unmatchedLine(stats.writesUnmatched, 'since start'));
      if (stats.sql) io.out(sqlLine(stats.sql, 'since start'));
      for (const line of dataStoreLines(stats.dataStores)) io.out(line);
    } else if (cloudWatch && !(cloudWatch instanceof Error)) {
      for (const [name, seconds] of Object.entries(cloudWatch.oldestMessageAgeSeconds)) {
        io.out(`oldest message in ${name}: ${age(seconds)} (CloudWatch, last 15 minutes)`);
      }
      io.out(
        cloudWatch.lastHour === undefined
          ? 'last hour (CloudWatch): set --connector-id / HLC_CONNECTOR_ID to read the delivery and unmatched-write counts'
          : `last hour (CloudWatch): ${Object.entries(cloudWatch.lastHour)
              .map(([name, count]) => `${name} ${count}`)
              .join(', ')}`,
      );
      if (cloudWatch.lastHour !== undefined) {
        io.out(
          unmatchedLine(cloudWatch.lastHour[INGEST_METRICS.writesUnmatched] ?? 0, 'last hour, CloudWatch'),
        );
      }
      for (const line of dataStoreLines(cloudWatch.dataStores)) io.out(line);
    } else {
      io.out(
        `oldest message age and delivery counts: not available (${cloudWatch?.message ?? 'no CloudWatch'}); see ` +
          'CloudWatch metric AWS/SQS ApproximateAgeOfOldestMessage of the delivery queue and the connector dashboard ' +
          '(namespace HealthLakeConnector).',
      );
    }
    if (notificationSources instanceof Error) {
      io.out(`notification sources: not available (${notificationSources.message})`);
    } else if (notificationSources !== undefined) {
      for (const line of notificationStatusLines(notificationSources)) io.out(line);
    }
    return 0;
  } finally {
    sqs.destroy();
  }
};

/** One line per data store: what it took, how often it throttled or refused access (local mode's counts). */
export const dataStoreLines = (
  dataStores: Readonly<Record<string, DataStoreCounts>> | undefined,
): string[] => {
  const entries = Object.entries(dataStores ?? {});
  if (entries.length === 0) return [];
  return [
    'data store                         delivered  throttled  access-denied',
    ...entries.map(
      ([name, counts]) =>
        `${name.padEnd(34)} ${String(counts.delivered).padStart(9)}  ${String(counts.throttled).padStart(9)}  ${String(counts.accessDenied).padStart(13)}`,
    ),
  ];
};

/** The delivery queue's retention, read only while delivery is paused (a pause must end before it). */
const retentionIfPaused = async (
  sqs: SQSClient,
  delivery: DeliveryState,
  queueUrl: string | undefined,
): Promise<{ retentionSeconds?: number }> => {
  if (!queueUrl || !['Disabled', 'Disabling'].includes(delivery.state)) return {};
  // Best effort: without it, status still shows everything else (the queue depths need the same access).
  const { Attributes = {} } = await sqs
    .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['MessageRetentionPeriod'] }))
    .catch(() => ({ Attributes: undefined }));
  const seconds = Number(Attributes.MessageRetentionPeriod);
  return Number.isFinite(seconds) && seconds > 0 ? { retentionSeconds: seconds } : {};
};

/** The oldest delivery message's age, from local mode's poller or CloudWatch, when known. */
const oldestDeliveryAge = (
  stats: LocalStatsView | undefined,
  cloudWatch: DeployedMetrics | Error | undefined,
): { oldestMessageAgeSeconds?: number } => {
  const seconds =
    stats?.oldestMessageAgeSeconds ??
    (cloudWatch instanceof Error ? undefined : cloudWatch?.oldestMessageAgeSeconds.delivery);
  return seconds === undefined ? {} : { oldestMessageAgeSeconds: seconds };
};

/** The SQL writer's outcomes, and what to do about dead letters. */
const sqlLine = (sql: NonNullable<LocalStatsView['sql']>, window: string): string =>
  `SQL target (${window}): written ${sql.written}, deleted ${sql.deleted}, unchanged ${sql.unchanged}, ` +
  `retried ${sql.retried}, dead-lettered ${sql.deadLettered}` +
  (sql.deadLettered > 0 ? ' - read their causes with hlc dlq list --dlq-url <the sql-dlq URL>' : '');

/** Identical resends are in `ingested` but delivered once: say so, or the gap looks like lost writes. */
const resends = (count: number | undefined): string =>
  count ? ` (${count} of them identical resends of a recorded version, delivered once)` : '';

/** The count of writes no Subscription matched, and what it means when it is not zero. */
const unmatchedLine = (count: number, window: string): string =>
  `writes matching no active Subscription (${window}): ${count}` +
  (count > 0 ? ' - recorded but never delivered; check the Subscriptions (hlc subscriptions list)' : '');

/**
 * The source Subscriptions sending backport notifications, from `$notification-status` (admin scope),
 * when the API can be called (a token, or IAM); an Error says why not, and status goes on.
 */
const notificationSourcesOf = async (
  config: CliConfig,
): Promise<NotificationSourceStatus[] | Error | undefined> => {
  if (config.auth === 'bearer' && !config.token) return undefined;
  return readNotificationStatus(apiClientFor(config)).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
};
