import { delivererHandlerFromEnv } from './delivererHandlerFromEnv.js';

/**
 * Lambda entry point (SQS event source mapping with ReportBatchItemFailures). Configuration is read
 * once per Lambda instance; a contract violation fails the cold start listing every problem.
 */
export const handler = delivererHandlerFromEnv(process.env);
