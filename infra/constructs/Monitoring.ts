import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CONNECTOR_DIMENSION,
  DATA_STORE_DIMENSION,
  DATA_STORE_METRICS,
  DELIVERY_METRICS,
  METRICS_NAMESPACE,
} from '../../shared/delivery/constants.js';
import { INGEST_METRICS } from '../../shared/ingest/IngestMetricsCollector.js';
import { SQL_WRITER_METRICS } from '../../shared/sqlWriter/constants.js';
import { createAlarmTopic } from './alarmTopic.js';

/** Alarm thresholds (the configuration's `alarms` section). */
export interface AlarmThresholds {
  /** Seconds the oldest delivery message may wait before the alarm fires. */
  readonly oldestMessageAgeSeconds: number;
  /** Deliverer errors per 5 minutes that fire the alarm. */
  readonly delivererErrors: number;
  /** Percentage of ingest requests answered 5xx (5-minute average) that fires the alarm. */
  readonly ingest5xxRatePercent: number;
  /** Percentage of delivery outcomes dropped as not-supported that fires the alarm. */
  readonly notSupportedDropRatePercent: number;
  /** Writes matching no active Subscription per 5 minutes that fire the alarm. */
  readonly unmatchedWrites: number;
  /** Seconds the oldest message of a dead-letter queue may wait before its age alarm fires. */
  readonly deadLetterAgeSeconds: number;
  /**
   * Stale writes to one recorded version of a resource from which ingest counts RepeatedStaleWrites
   * (ingest's INGEST_REPEATED_STALE_WRITES); named in the alarm's description. @default 3
   */
  readonly staleWritesPerResource?: number;
  /** Signs of lost backport notifications per 5 minutes that fire the alarm. @default 1 */
  readonly missedNotifications?: number;
}

/** Powertools service names, i.e. the `service` dimension of each function's EMF metrics. */
export interface ServiceNames {
  readonly ingest: string;
  readonly deliverer: string;
  /**
   * The heartbeat check of backport notifications (also publishes MissedNotifications). Set only when
   * the connector follows source Subscriptions: the MissedNotifications alarm exists only then.
   */
  readonly notificationCheck?: string;
}

/** A page-work queue with its DLQ and worker (backfill, reconcile): monitored alike. */
export interface PageWorkerMonitoring {
  /** Names its alarms and widgets (`Backfill`, `Reconcile`). */
  readonly name: string;
  readonly worker: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The worker's Powertools service name (the `service` dimension of its metrics). */
  readonly service: string;
  /** Its count of failed jobs (e.g. `BackfillJobsFailed`), which fires an alarm. */
  readonly jobsFailedMetric: string;
  /** What to do about a failed job, for the alarm description. */
  readonly jobsFailedAdvice: string;
  /** Its progress counts, drawn on the dashboard. */
  readonly progressMetrics: readonly string[];
  /** What else its DLQ holds and what to do about it, for the DLQ alarm descriptions. @default - pages only */
  readonly deadLetterAdvice?: string;
}

/** The SQL target's writer, queue and DLQ (seed 000's relational export). */
export interface SqlWriterMonitoring {
  /** Its `sql://<name>` endpoint, named in alarm descriptions. */
  readonly endpoint: string;
  readonly worker: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The writer's Powertools service name (the `service` dimension of its metrics). */
  readonly service: string;
}

export interface MonitoringProps {
  /**
   * The connector id: the `connector` dimension every function metric carries. Alarms and widgets
   * select it, so two connectors in one account and region never read each other's metrics.
   */
  readonly connectorId: string;
  readonly api: apigateway.RestApi;
  readonly ingestFunction: lambda.IFunction;
  readonly delivererFunction: lambda.IFunction;
  readonly deliveryQueue: sqs.IQueue;
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** Backfill, and reconcile when it is enabled. */
  readonly pageWorkers: readonly PageWorkerMonitoring[];
  /** The SQL writer, when a SQL target is configured. @default none */
  readonly sqlWriter?: SqlWriterMonitoring;
  readonly services: ServiceNames;
  readonly thresholds: AlarmThresholds;
  /**
   * `dataStoreLabel` of every data store the connector delivers to: the dashboard draws delivered,
   * throttled and access-denied counts per data store (one data store's bad day apart from the others').
   * @default - none (no per-data-store widgets)
   */
  readonly dataStoreLabels?: readonly string[];
  /** HealthLake data store whose `AWS/HealthLake` metrics the dashboard shows. */
  readonly dataStore: { readonly datastoreId: string; readonly region: string; readonly account: string };
  /** Key encrypting the alarm topic; its policy must let CloudWatch use it. */
  readonly topicEncryptionKey: kms.IKey;
  /** @default - no e-mail subscription */
  readonly alarmEmail?: string;
  /**
   * Dashboard names are global per account: include the region.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

/**
 * The on-call view: a dashboard (flow, queues, errors and throttles, latency percentiles, backfill and
 * reconcile, HealthLake's own metrics) and alarms to an encrypted SNS topic. Alarms treat missing data
 * as not breaching: SQS, Lambda and API Gateway publish nothing when idle, and idle is healthy. The
 * dead-letter alarms are the exception: SQS stops publishing the metrics of a queue nobody touches
 * (after about 6 hours), and a DLQ still holding messages must stay in alarm, so they ignore missing
 * data (keep their state), and each DLQ also alarms on the age of its oldest message.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const t = props.thresholds;
    const problems: string[] = [];
    if (t.oldestMessageAgeSeconds < 60) problems.push('oldestMessageAgeSeconds must be at least 60');
    if (t.delivererErrors < 1) problems.push('delivererErrors must be at least 1');
    if (t.deadLetterAgeSeconds < 60) problems.push('deadLetterAgeSeconds must be at least 60');
    if (!(Number.isInteger(t.unmatchedWrites) && t.unmatchedWrites >= 1)) {
      problems.push('unmatchedWrites must be a whole number of at least 1');
    }
    if (
      t.missedNotifications !== undefined &&
      !(Number.isInteger(t.missedNotifications) && t.missedNotifications >= 1)
    ) {
      problems.push('missedNotifications must be a whole number of at least 1');
    }
    for (const [name, value] of [
      ['ingest5xxRatePercent', t.ingest5xxRatePercent],
      ['notSupportedDropRatePercent', t.notSupportedDropRatePercent],
    ] as const) {
      if (!(value > 0 && value <= 100)) problems.push(`${name} must be in (0, 100]`);
    }
    if (problems.length > 0) throw new Error(`Monitoring ${id}: ${problems.join('; ')}`);

    this.topic = createAlarmTopic(this, 'AlarmTopic', {
      encryptionKey: props.topicEncryptionKey,
      ...(props.alarmEmail === undefined ? {} : { email: props.alarmEmail }),
    });

    const fiveMinutes = Duration.minutes(5);
    const oneMinute = Duration.minutes(1);
    const connector = (
      service: string,
      metricName: string,
      statistic: string = cloudwatch.Stats.SUM,
      label?: string,
    ): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [CONNECTOR_DIMENSION]: props.connectorId, service },
        statistic,
        period: fiveMinutes,
        ...(label === undefined ? {} : { label }),
      });
    const s = props.services;
    // The ingest function publishes each count once, split by ResourceType (one EMF record per type,
    // one without), so its service-only series is partial: sum every dimension set with Metrics
    // Insights instead. (The deliverer publishes service-level counts plus per-type extras, so its
    // plain service-level metrics are complete, and summing all sets would double count.)
    const partitioned = (service: string, metricName: string): cloudwatch.IMetric =>
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${metricName}) FROM "${METRICS_NAMESPACE}" WHERE ${CONNECTOR_DIMENSION} = '${props.connectorId}' AND service = '${service}'`,
        usingMetrics: {},
        label: metricName,
        period: fiveMinutes,
      });

    // --- alarms -------------------------------------------------------------------------------------
    const alarm = (name: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, name, alarmProps);
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      return created;
    };
    const dlqDepth = (queue: sqs.IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: oneMinute,
      });
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    /** A DLQ's depth and oldest-message-age alarms, `{prefix}DlqNotEmpty` and `{prefix}DlqAge`. */
    const deadLetterAlarms = (prefix: string, queue: sqs.IQueue, holds: string) => ({
      depth: alarm(`${prefix}DlqNotEmpty`, {
        alarmDescription: holds,
        metric: dlqDepth(queue),
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        // Keep the state while SQS publishes nothing: an untouched DLQ stops publishing after about
        // 6 hours, messages or not, and must not go OK while they remain.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      age: alarm(`${prefix}DlqAge`, {
        alarmDescription: `A message has waited more than ${t.deadLetterAgeSeconds} s in the ${prefix.toLowerCase()} DLQ; dead letters expire after the queue's 14-day retention. ${holds}`,
        metric: queue.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: oneMinute,
        }),
        threshold: t.deadLetterAgeSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
    });

    const dropRate = new cloudwatch.MathExpression({
      expression: '100 * FILL(dropped, 0) / (FILL(delivered, 0) + FILL(deleted, 0) + FILL(dropped, 0))',
      usingMetrics: {
        dropped: connector(s.deliverer, DELIVERY_METRICS.droppedNotSupported),
        delivered: connector(s.deliverer, DELIVERY_METRICS.delivered),
        deleted: connector(s.deliverer, DELIVERY_METRICS.deleted),
      },
      period: fiveMinutes,
      label: 'Not-supported drops (% of outcomes)',
    });
    const ingest5xxPercent = new cloudwatch.MathExpression({
      expression: '100 * errors',
      usingMetrics: {
        errors: props.api.metricServerError({ statistic: cloudwatch.Stats.AVERAGE, period: fiveMinutes }),
      },
      period: fiveMinutes,
      label: 'Ingest 5xx (% of requests)',
    });

    const deliveryDeadLetters = deadLetterAlarms(
      'Delivery',
      props.deliveryDeadLetterQueue,
      'A delivery gave up and is in the delivery DLQ (its cause is in the message). Fix the cause, then redrive.',
    );
    const pageWorkerAlarms = Object.fromEntries(
      props.pageWorkers.flatMap((page) => {
        const key = page.name.charAt(0).toLowerCase() + page.name.slice(1);
        const deadLetters = deadLetterAlarms(
          page.name,
          page.deadLetterQueue,
          `A ${page.name.toLowerCase()} page failed repeatedly and is in the ${page.name.toLowerCase()} DLQ.` +
            (page.deadLetterAdvice === undefined ? '' : ` ${page.deadLetterAdvice}`),
        );
        return [
          [`${key}DeadLetters`, deadLetters.depth],
          [`${key}DeadLetterAge`, deadLetters.age],
          [
            `${key}WorkerErrors`,
            alarm(`${page.name}WorkerErrors`, {
              alarmDescription: `The ${page.name.toLowerCase()} worker failed (crash or timeout), not a reported page failure: its pages are retried and then dead-lettered.`,
              metric: page.worker.metricErrors({ period: fiveMinutes }),
              threshold: 1,
              comparisonOperator: atLeast,
              evaluationPeriods: 1,
              treatMissingData: notBreaching,
            }),
          ],
          [
            `${key}JobsFailed`,
            alarm(`${page.name}JobsFailed`, {
              alarmDescription: `A ${page.name.toLowerCase()} job failed; ${page.jobsFailedAdvice}`,
              metric: connector(page.service, page.jobsFailedMetric),
              threshold: 1,
              comparisonOperator: atLeast,
              evaluationPeriods: 1,
              treatMissingData: notBreaching,
            }),
          ],
        ] as const;
      }),
    );

    const sql = props.sqlWriter;
    const sqlDeadLetters =
      sql === undefined
        ? undefined
        : deadLetterAlarms(
            'Sql',
            sql.deadLetterQueue,
            `A write to the SQL target ${sql.endpoint} failed for good and is in the SQL DLQ; its cause names the table, column and resource (a value that does not fit, a constraint). Fix the mapping or the schema, then redrive.`,
          );
    const sqlAlarms: Record<string, cloudwatch.Alarm> =
      sql === undefined || sqlDeadLetters === undefined
        ? {}
        : {
            sqlDeadLetters: sqlDeadLetters.depth,
            sqlDeadLetterAge: sqlDeadLetters.age,
            sqlBacklogAge: alarm('SqlBacklogAge', {
              alarmDescription: `The oldest message of the SQL queue is older than ${t.oldestMessageAgeSeconds} s: the SQL target ${sql.endpoint} is falling behind or unreachable (database down, network, credentials: see the SQL writer's log and SqlWritesRetried).`,
              metric: sql.queue.metricApproximateAgeOfOldestMessage({
                statistic: cloudwatch.Stats.MAXIMUM,
                period: oneMinute,
              }),
              threshold: t.oldestMessageAgeSeconds,
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              evaluationPeriods: 3,
              treatMissingData: notBreaching,
            }),
            sqlWriterErrors: alarm('SqlWriterErrors', {
              alarmDescription:
                'The SQL writer function failed (crash, timeout, or the database unreachable at start), not a reported record failure: its records are retried and then dead-lettered.',
              metric: sql.worker.metricErrors({ period: fiveMinutes }),
              threshold: 1,
              comparisonOperator: atLeast,
              evaluationPeriods: 1,
              treatMissingData: notBreaching,
            }),
            sqlSchemaProblems: alarm('SqlSchemaProblems', {
              alarmDescription: `The SQL target's schema lacks what the mapping writes (a table or column missing or of another type): writes that touch it fail and retry. The SQL writer's log lists every problem; hlc sql schema prints the DDL.`,
              metric: connector(sql.service, SQL_WRITER_METRICS.schemaProblems),
              threshold: 1,
              comparisonOperator: atLeast,
              evaluationPeriods: 1,
              treatMissingData: notBreaching,
            }),
          };

    this.alarms = {
      ...sqlAlarms,
      deliveryDeadLetters: deliveryDeadLetters.depth,
      deliveryDeadLetterAge: deliveryDeadLetters.age,
      ...pageWorkerAlarms,
      oldestMessageAge: alarm('DeliveryBacklogAge', {
        alarmDescription: `The oldest delivery message is older than ${t.oldestMessageAgeSeconds} s: HealthLake is falling behind (throttling, errors, or MaximumConcurrency too low).`,
        metric: props.deliveryQueue.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: oneMinute,
        }),
        threshold: t.oldestMessageAgeSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: notBreaching,
      }),
      delivererErrors: alarm('DelivererErrors', {
        alarmDescription: 'The deliverer function failed (crash or timeout), not a reported item failure.',
        metric: props.delivererFunction.metricErrors({ period: fiveMinutes }),
        threshold: t.delivererErrors,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      delivererThrottles: alarm('DelivererThrottles', {
        alarmDescription:
          'The deliverer was throttled: account or reserved concurrency is below MaximumConcurrency.',
        metric: props.delivererFunction.metricThrottles({ period: fiveMinutes }),
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      ingest5xxRate: alarm('Ingest5xxRate', {
        alarmDescription: `More than ${t.ingest5xxRatePercent}% of ingest requests failed with 5xx in 2 of the last 3 periods: producers are retrying or losing writes.`,
        metric: ingest5xxPercent,
        threshold: t.ingest5xxRatePercent,
        comparisonOperator: atLeast,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: notBreaching,
      }),
      notSupportedDropRate: alarm('NotSupportedDropRate', {
        alarmDescription: `More than ${t.notSupportedDropRatePercent}% of deliveries were dropped because HealthLake does not support the resource type: narrow the subscription criteria.`,
        metric: dropRate,
        threshold: t.notSupportedDropRatePercent,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      // Published without the ResourceType dimension, so the plain service-level metric is the total.
      writesUnmatched: alarm('WritesUnmatched', {
        alarmDescription: `At least ${t.unmatchedWrites} accepted write(s) in 5 minutes matched no active Subscription: they are recorded but delivered nowhere. Replication may have stopped (the Subscription deleted, turned off, in error, or its criteria changed). Check GET [base]/Subscription?status=active. With criteria deliberately narrower than what producers send, raise alarms.unmatchedWrites.`,
        metric: connector(s.ingest, INGEST_METRICS.writesUnmatched),
        threshold: t.unmatchedWrites,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      // Published without the ResourceType dimension, so the plain service-level metric is the total.
      repeatedStaleWrites: alarm('RepeatedStaleWrites', {
        alarmDescription: `A resource keeps receiving stale writes: ${t.staleWritesPerResource ?? 3} or more writes older than the version the ledger holds for it. It is probably pinned by a forged or restored version (a newer versionId than the source's), so its real versions are acknowledged but never delivered. The ingest log line "Resource keeps receiving stale writes" names the resource (type, id, recorded version). Compare with the source: hlc reconcile start <subscription> --mode compare (POST [base]/$reconcile), which reports it as pinned; repair resets it, or reset it yourself with hlc ledger reset <Type>/<id> (POST [base]/<Type>/<id>/$reset-version) and resend the current version.`,
        metric: connector(s.ingest, INGEST_METRICS.repeatedStaleWrites),
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      accessDenied: alarm('HealthLakeAccessDenied', {
        alarmDescription:
          'HealthLake access denied: STS refused the customer role or HealthLake answered 401/403. Check the role, its trust policy, the ExternalId and the data store key policy. Messages wait (long backoff) and go to the DLQ only when their retries run out.',
        metric: connector(s.deliverer, DELIVERY_METRICS.accessDenied),
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      // Only for a connector that follows source Subscriptions (notifications.sources).
      ...(props.services.notificationCheck === undefined
        ? {}
        : {
            // Ingest finds skipped numbers, error statuses and restarted counters; the heartbeat
            // check finds silent sources. Published without ResourceType: the series is whole.
            missedNotifications: alarm('MissedNotifications', {
              alarmDescription:
                'Backport notifications were lost: a source Subscription skipped event numbers, went silent past its heartbeat, reported status error or restarted its counter. The connector has started a catch-up (a backfill job: GET [base]/$backfill-job/{id}); hlc status shows each source Subscription with its gaps found and repaired.',
              metric: new cloudwatch.MathExpression({
                expression: 'FILL(ingest, 0) + FILL(check, 0)',
                usingMetrics: {
                  ingest: connector(s.ingest, INGEST_METRICS.missedNotifications),
                  check: connector(props.services.notificationCheck, INGEST_METRICS.missedNotifications),
                },
                period: fiveMinutes,
                label: 'Missed notifications',
              }),
              threshold: t.missedNotifications ?? 1,
              comparisonOperator: atLeast,
              evaluationPeriods: 1,
              treatMissingData: notBreaching,
            }),
          }),
    };

    // --- dashboard ----------------------------------------------------------------------------------
    const percentiles = (service: string, metricName: string) =>
      (['p50', 'p90', 'p99'] as const).map((p) => connector(service, metricName, p, `${metricName} ${p}`));
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
    const lambdas = [
      ['ingest', props.ingestFunction],
      ['deliverer', props.delivererFunction],
      ...props.pageWorkers.map((page) => [page.name.toLowerCase(), page.worker] as const),
      ...(sql === undefined ? [] : [['sql writer', sql.worker] as const]),
    ] as const;
    const healthLakeSearch = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{AWS/HealthLake,DatastoreId,DatastoreType,Operation} MetricName="${metricName}" DatastoreId="${props.dataStore.datastoreId}"', 'Sum', 300)`,
        usingMetrics: {},
        label: metricName,
        period: fiveMinutes,
        searchAccount: props.dataStore.account,
        searchRegion: props.dataStore.region,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# HealthLake connector\nFlow: producer → API → ingest → FIFO queue → deliverer → HealthLake. ' +
          'DLQ messages carry their failure cause; redrive them with StartMessageMoveTask once fixed.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Flow (per 5 min)',
        [
          partitioned(s.ingest, INGEST_METRICS.ingested),
          partitioned(s.ingest, INGEST_METRICS.matched),
          partitioned(s.ingest, INGEST_METRICS.enqueued),
          connector(s.deliverer, DELIVERY_METRICS.delivered),
          connector(s.deliverer, DELIVERY_METRICS.deleted),
        ],
        [],
        12,
      ),
      graph(
        'Skipped and rejected',
        [
          connector(s.deliverer, DELIVERY_METRICS.skippedStale),
          connector(s.deliverer, DELIVERY_METRICS.droppedNotSupported),
          partitioned(s.ingest, INGEST_METRICS.staleWrites),
          connector(s.ingest, INGEST_METRICS.repeatedStaleWrites),
          partitioned(s.ingest, INGEST_METRICS.rejectedRequests),
          connector(s.ingest, INGEST_METRICS.writesUnmatched),
        ],
        [],
        12,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Delivery queue depth',
        [
          props.deliveryQueue.metricApproximateNumberOfMessagesVisible({ period: oneMinute }),
          props.deliveryQueue.metricApproximateNumberOfMessagesNotVisible({ period: oneMinute }),
        ],
        [],
      ),
      graph('Oldest delivery message (s)', [
        props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: oneMinute }),
      ]),
      graph('Dead-letter queues', [
        dlqDepth(props.deliveryDeadLetterQueue).with({ label: 'Delivery DLQ' }),
        ...props.pageWorkers.map((page) =>
          dlqDepth(page.deadLetterQueue).with({ label: `${page.name} DLQ` }),
        ),
        ...(sql === undefined ? [] : [dlqDepth(sql.deadLetterQueue).with({ label: 'SQL DLQ' })]),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors and throttles',
        lambdas.flatMap(([name, fn]) => [
          fn.metricErrors({ period: fiveMinutes, label: `${name} errors` }),
          fn.metricThrottles({ period: fiveMinutes, label: `${name} throttles` }),
        ]),
      ),
      graph('Ingest API 4xx / 5xx', [
        props.api.metricClientError({ period: fiveMinutes }),
        props.api.metricServerError({ period: fiveMinutes }),
      ]),
      graph(
        'HealthLake retries and dead letters',
        [
          connector(
            s.deliverer,
            DELIVERY_METRICS.retried,
            cloudwatch.Stats.SUM,
            'Retried (429/5xx/timeouts)',
          ),
          connector(s.deliverer, DELIVERY_METRICS.accessDenied, cloudwatch.Stats.SUM, 'Access denied'),
        ],
        [connector(s.deliverer, DELIVERY_METRICS.deadLettered)],
      ),
    );
    const labels = props.dataStoreLabels ?? [];
    if (labels.length > 0) {
      const perStore = (metricName: string, dataStore: string) =>
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: {
            [CONNECTOR_DIMENSION]: props.connectorId,
            service: s.deliverer,
            [DATA_STORE_DIMENSION]: dataStore,
          },
          statistic: cloudwatch.Stats.SUM,
          period: fiveMinutes,
          label: dataStore,
        });
      this.dashboard.addWidgets(
        ...DATA_STORE_METRICS.map((metricName) =>
          graph(
            `${metricName} per data store (per 5 min)`,
            labels.map((label) => perStore(metricName, label)),
          ),
        ),
      );
    }
    this.dashboard.addWidgets(
      graph('End-to-end delivery latency (ms)', percentiles(s.deliverer, DELIVERY_METRICS.deliveryLatency)),
      graph('HealthLake request latency (ms)', percentiles(s.deliverer, DELIVERY_METRICS.healthLakeLatency)),
      graph(
        'Ingest API latency (ms)',
        (['p50', 'p90', 'p99'] as const).map((p) =>
          props.api.metricLatency({ statistic: p, period: fiveMinutes, label: `API ${p}` }),
        ),
      ),
    );
    for (const page of props.pageWorkers) {
      this.dashboard.addWidgets(
        graph(
          `${page.name} progress (per 5 min)`,
          page.progressMetrics.map((metricName) => connector(page.service, metricName)),
          [connector(page.service, page.jobsFailedMetric)],
          12,
        ),
        graph(
          `${page.name} queue`,
          [
            page.queue.metricApproximateNumberOfMessagesVisible({ period: oneMinute }),
            page.queue.metricApproximateAgeOfOldestMessage({ period: oneMinute }),
          ],
          [dlqDepth(page.deadLetterQueue).with({ label: `${page.name} DLQ` })],
          12,
        ),
      );
    }
    if (sql !== undefined) {
      this.dashboard.addWidgets(
        graph(
          `SQL target ${sql.endpoint} (per 5 min)`,
          [
            connector(sql.service, SQL_WRITER_METRICS.written),
            connector(sql.service, SQL_WRITER_METRICS.deleted),
            connector(sql.service, SQL_WRITER_METRICS.unchanged),
            connector(sql.service, SQL_WRITER_METRICS.unmapped),
          ],
          [
            connector(sql.service, SQL_WRITER_METRICS.retried),
            connector(sql.service, SQL_WRITER_METRICS.deadLettered),
          ],
          12,
        ),
        graph(
          'SQL queue',
          [
            sql.queue.metricApproximateNumberOfMessagesVisible({ period: oneMinute }),
            sql.queue.metricApproximateNumberOfMessagesNotVisible({ period: oneMinute }),
            sql.queue.metricApproximateAgeOfOldestMessage({ period: oneMinute }),
          ],
          [dlqDepth(sql.deadLetterQueue).with({ label: 'SQL DLQ' })],
          12,
        ),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `AWS/HealthLake calls by operation (data store ${props.dataStore.datastoreId})`,
        left: [healthLakeSearch('CallCount')],
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'AWS/HealthLake: all metrics of the data store',
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{AWS/HealthLake,DatastoreId,DatastoreType,Operation} DatastoreId="${props.dataStore.datastoreId}"', 'Sum', 300)`,
            usingMetrics: {},
            label: 'HealthLake',
            period: fiveMinutes,
            searchAccount: props.dataStore.account,
            searchRegion: props.dataStore.region,
          }),
        ],
        width: 12,
        height: 6,
      }),
    );
  }
}
