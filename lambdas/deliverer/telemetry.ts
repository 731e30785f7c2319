import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DATA_STORE_DIMENSION, DELIVERY_METRICS } from '../../shared/delivery/constants.js';
import { Disposition, type DeliveryTelemetry, type RecordSettlement } from '../../shared/delivery/types.js';
import { FailureReason } from '../../shared/messages/failureCause.js';

/** The Powertools surface telemetry uses. */
export type TelemetryLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'getLevelName'>;
export type TelemetryMetrics = Pick<Metrics, 'addMetric' | 'singleMetric'>;

/** A rare event also counted per ResourceType (its own EMF line), so dashboards can say which type. */
const countByType = (metrics: TelemetryMetrics, name: string, resourceType: string | undefined) => {
  if (!resourceType) return;
  metrics.singleMetric().addDimension('ResourceType', resourceType).addMetric(name, MetricUnit.Count, 1);
};

/**
 * Turns settled records into log lines and EMF metrics. Logs carry identifiers, versions, outcome and
 * status only; never resource content or HealthLake's diagnostics (kept with the dead letter).
 */
export const createDeliveryTelemetry = (
  logger: TelemetryLogger,
  metrics: TelemetryMetrics,
): DeliveryTelemetry & { flush(): void } => {
  // Counts are summed per batch and added once (one EMF value instead of one per message).
  const counts = new Map<string, number>();
  const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  // Per data store (DATA_STORE_METRICS), summed per batch too: one EMF line per data store and name.
  const perStore = new Map<string, Map<string, number>>();
  const countFor = (dataStore: string | undefined, name: string) => {
    if (dataStore === undefined) return;
    const store = perStore.get(dataStore) ?? new Map<string, number>();
    store.set(name, (store.get(name) ?? 0) + 1);
    perStore.set(dataStore, store);
  };
  return {
    flush: () => {
      for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
      counts.clear();
      for (const [dataStore, names] of perStore) {
        for (const [name, value] of names) {
          metrics
            .singleMetric()
            .addDimension(DATA_STORE_DIMENSION, dataStore)
            .addMetric(name, MetricUnit.Count, value);
        }
      }
      perStore.clear();
    },
    warn: (message, details) => logger.warn(message, details),
    settled: (settlement: RecordSettlement) => {
      const { outcome, summary, disposition, attempt } = settlement;
      const log = () => ({ ...summary, outcome: outcome.kind, disposition, attempt });
      if ('healthLakeLatencyMs' in outcome && outcome.healthLakeLatencyMs !== undefined) {
        metrics.addMetric(
          DELIVERY_METRICS.healthLakeLatency,
          MetricUnit.Milliseconds,
          outcome.healthLakeLatencyMs,
        );
      }
      switch (outcome.kind) {
        case 'delivered':
        case 'deleted':
          count(outcome.kind === 'delivered' ? DELIVERY_METRICS.delivered : DELIVERY_METRICS.deleted);
          countFor(settlement.dataStore, DELIVERY_METRICS.delivered);
          if (settlement.endToEndLatencyMs !== undefined) {
            metrics.addMetric(
              DELIVERY_METRICS.deliveryLatency,
              MetricUnit.Milliseconds,
              settlement.endToEndLatencyMs,
            );
          }
          if (logger.getLevelName() === 'DEBUG')
            logger.debug('Delivered', { ...log(), status: outcome.status });
          return;
        case 'not-supported-dropped':
          count(DELIVERY_METRICS.droppedNotSupported);
          countByType(metrics, DELIVERY_METRICS.droppedNotSupported, summary.resourceType);
          logger.info('Dropped: HealthLake does not support this resource type', {
            ...log(),
            status: outcome.status,
          });
          return;
        case 'filtered':
          count(DELIVERY_METRICS.filtered);
          logger.info(
            outcome.by === 'transform'
              ? "Filtered: the Subscription's transform returned nothing to deliver"
              : "Filtered: the source server found the resource does not match the Subscription's criteria",
            { ...log(), by: outcome.by },
          );
          return;
        case 'stale-skipped':
          count(DELIVERY_METRICS.skippedStale);
          logger.info('Skipped: a newer version is known', {
            ...log(),
            against: outcome.against,
            newerVersionId: outcome.newer.versionId,
          });
          return;
        case 'transient-failure':
        case 'terminal-failure': {
          if (outcome.cause.reason === FailureReason.dataStoreDeferred) {
            // Not a failure of the message: its data store rests (counted once per batch, logged at debug).
            count(DELIVERY_METRICS.deferred);
            if (logger.getLevelName() === 'DEBUG') {
              logger.debug('Deferred: its data store is resting', {
                ...log(),
                dataStore: settlement.dataStore,
                retryDelaySeconds: settlement.retryDelaySeconds,
              });
            }
            return;
          }
          if (outcome.cause.status === 429) {
            count(DELIVERY_METRICS.throttled);
            countFor(settlement.dataStore, DELIVERY_METRICS.throttled);
          }
          if (outcome.cause.reason === FailureReason.accessDenied) {
            count(DELIVERY_METRICS.accessDenied);
            countFor(settlement.dataStore, DELIVERY_METRICS.accessDenied);
            logger.error(
              'HealthLake access denied: check the customer role, its trust policy, the ExternalId and the data store key policy',
              {
                ...log(),
                dataStore: settlement.dataStore,
                status: outcome.cause.status,
                errorType: outcome.cause.errorType,
              },
            );
          }
          const cause = {
            reason: outcome.cause.reason,
            status: outcome.cause.status,
            issueCode: outcome.cause.issueCode,
            errorType: outcome.cause.errorType,
          };
          if (disposition === Disposition.retry) {
            count(DELIVERY_METRICS.retried);
            logger.warn('Delivery failed; will retry', {
              ...log(),
              ...cause,
              retryDelaySeconds: settlement.retryDelaySeconds,
            });
          } else {
            count(DELIVERY_METRICS.deadLettered);
            countByType(metrics, DELIVERY_METRICS.deadLettered, summary.resourceType);
            logger.error('Delivery failed; sent to the DLQ with its cause', { ...log(), ...cause });
          }
          return;
        }
      }
    },
  };
};
