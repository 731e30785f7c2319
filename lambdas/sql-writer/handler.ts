import { sqlWriterHandlerFromEnv } from './sqlWriterHandlerFromEnv.js';

/**
 * Lambda entry point (SQS event source mapping on the SQL queue, ReportBatchItemFailures). Configuration
 * is read once per Lambda instance; a contract violation fails the cold start listing every problem. The
 * pg pool lives as long as the instance, so connections are reused across invocations.
 */
export const handler = sqlWriterHandlerFromEnv(process.env);
