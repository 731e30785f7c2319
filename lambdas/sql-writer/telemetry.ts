import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SQL_WRITER_METRICS } from '../../shared/sqlWriter/constants.js';
import type { SqlRecordOutcome } from '../../shared/sqlWriter/settleSqlBatch.js';

export type SqlTelemetryLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'getLevelName'>;
export type SqlTelemetryMetrics = Pick<Metrics, 'addMetric'>;

const sum = (counts: Readonly<Record<string, number>>): number =>
  Object.values(counts).reduce((total, count) => total + count, 0);

/**
 * Logs and counts the outcomes of a SQL batch. Lines carry type, id, version, subscription, outcome and
 * per-table row counts (the troubleshooting log, at debug), never a value: causes name table, column and
 * SQLSTATE only. Counts are summed per batch and added once.
 */
export const recordSqlOutcomes = (
  outcomes: readonly SqlRecordOutcome[],
  logger: SqlTelemetryLogger,
  metrics: SqlTelemetryMetrics,
): void => {
  const counts = new Map<string, number>();
  const count = (name: string, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value);
  const debug = logger.getLevelName() === 'DEBUG';
  for (const outcome of outcomes) {
    const { settlement } = outcome;
    // Receives (SQS's count) differ from attempts: a record held back behind its group is received, not tried.
    const receives = Math.max(1, Number(outcome.record.attributes.ApproximateReceiveCount) || 1);
    const line = { ...settlement.summary, receives };
    if (outcome.final === 'done' && settlement.disposition === 'done') {
      const result = settlement.result;
      const kind = result?.outcome ?? 'unmapped';
      if (kind === 'applied') {
        count(result?.operation === 'delete' ? SQL_WRITER_METRICS.deleted : SQL_WRITER_METRICS.written);
        count(SQL_WRITER_METRICS.rows, sum(result?.written ?? {}));
      } else count(kind === 'unchanged' ? SQL_WRITER_METRICS.unchanged : SQL_WRITER_METRICS.unmapped);
      if (debug)
        logger.debug('SQL written', {
          ...line,
          outcome: kind,
          written: result?.written ?? {},
          deleted: result?.deleted ?? {},
        });
      continue;
    }
    if (settlement.disposition === 'done') continue;
    const cause = {
      reason: settlement.cause.reason,
      attempt: settlement.cause.attempt,
      ...(settlement.cause.maxAttempts === undefined ? {} : { maxAttempts: settlement.cause.maxAttempts }),
      ...(settlement.cause.diagnostics === undefined ? {} : { diagnostics: settlement.cause.diagnostics }),
    };
    if (outcome.final === 'dead-lettered') {
      count(SQL_WRITER_METRICS.deadLettered);
      logger.error('SQL write failed; sent to the SQL DLQ with its cause', { ...line, ...cause });
    } else if (outcome.final === 'retry') {
      count(SQL_WRITER_METRICS.retried);
      logger.warn('SQL write failed; will retry', {
        ...line,
        ...cause,
        retryDelaySeconds: outcome.retryDelaySeconds,
      });
    }
  }
  for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
};
