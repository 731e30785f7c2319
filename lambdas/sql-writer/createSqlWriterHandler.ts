import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { loggerFromEnv, metricsFromEnv } from '../../shared/runtime/powertoolsFromEnv.js';
import { SQL_WRITER_METRICS, SQL_WRITER_SERVICE } from '../../shared/sqlWriter/constants.js';
import {
  settleSqlBatch,
  type SqlBatchDeps,
  type SqlRecordOutcome,
} from '../../shared/sqlWriter/settleSqlBatch.js';
import type { SqlWriterTarget } from '../../shared/sqlWriter/writeSqlBatch.js';
import { recordSqlOutcomes } from './telemetry.js';

/** What the SQL writer handler is built from; local mode and tests pass their own. */
export interface SqlWriterHandlerDeps extends Omit<SqlBatchDeps, 'warn' | 'targets'> {
  /** The target's name (`sql://<name>`) and, once ready, its client and compiled mapping. */
  readonly targetName: string;
  /**
   * Makes the target ready: compiles the mapping, creates the schema when asked, and checks it.
   * Resolves with the target and the schema's problems (empty when it fits); run once per instance
   * (again after a failure to reach the database).
   */
  readonly prepare: () => Promise<{ readonly target: SqlWriterTarget; readonly problems: readonly string[] }>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export type SqlWriterHandler = ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) & {
  /** The target made ready, its schema problems logged (local mode calls it at start). */
  ready(): Promise<readonly string[]>;
};

/** Thrown for a record to retry: the partial-batch processor reports it failed (and its group after it). */
class SqlRecordRetryError extends Error {
  public constructor(messageId: string) {
    super(`SQL record ${messageId} will be retried`);
    this.name = 'SqlRecordRetryError';
  }
}

/**
 * The SQL writer Lambda: an SQS FIFO batch from the SQL queue in, `batchItemFailures` out
 * (ReportBatchItemFailures, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html),
 * as the deliverer: the batch is written first (settleSqlBatch: one transaction per 100 changes,
 * dead letters with their cause, retry delays), then a FIFO partial processor reports the records to
 * retry and every later record of their groups. At cold start the target's schema is checked and
 * every problem logged at once, before the first write.
 *
 * @example
 * const handler = createSqlWriterHandler({ targetName: 'warehouse', prepare, sqs, queueUrl, deadLetterQueueUrl, defaultMaxAttempts: 5, now: Date.now });
 */
export const createSqlWriterHandler = (deps: SqlWriterHandlerDeps): SqlWriterHandler => {
  const logger = deps.logger ?? loggerFromEnv(SQL_WRITER_SERVICE);
  const metrics = deps.metrics ?? metricsFromEnv(SQL_WRITER_SERVICE);
  const { prepare, targetName, logger: _logger, metrics: _metrics, ...batch } = deps;
  let preparing: Promise<{ target: SqlWriterTarget; problems: readonly string[] }> | undefined;
  const ready = () => {
    preparing ??= prepare().then(
      (prepared) => {
        if (prepared.problems.length > 0) {
          // Said once per instance, before any write: every write the problems touch will fail and retry.
          logger.error('The SQL target schema does not match the mapping (hlc sql schema prints the DDL)', {
            target: targetName,
            problems: prepared.problems,
          });
          metrics.addMetric(SQL_WRITER_METRICS.schemaProblems, MetricUnit.Count, prepared.problems.length);
        }
        return prepared;
      },
      (error: unknown) => {
        preparing = undefined; // checked again next invocation (the database may be back)
        throw error;
      },
    );
    return preparing;
  };

  const write = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { target } = await ready();
    const outcomes = await settleSqlBatch(event.Records, {
      ...batch,
      targets: new Map([[targetName, target]]),
      warn: (message, details) => logger.warn(message, details),
    });
    recordSqlOutcomes(outcomes, logger, metrics);
    const byId = new Map<string, SqlRecordOutcome>(
      outcomes.map((outcome) => [outcome.record.messageId, outcome]),
    );
    return processPartialResponse(
      event,
      (record: SQSRecord) => {
        if (byId.get(record.messageId)?.final === 'retry') throw new SqlRecordRetryError(record.messageId);
      },
      new SqsFifoPartialProcessorAsync(),
      { skipGroupOnError: true, throwOnFullBatchFailure: false },
    );
  };

  const handler = middy(write).use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as (
    event: SQSEvent,
    context: Context,
  ) => Promise<SQSBatchResponse>;
  return Object.assign(handler, {
    ready: async () => (await ready()).problems,
  });
};
