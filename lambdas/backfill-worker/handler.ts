/**
 * Backfill worker Lambda entry point: one SQS record = one page of a backfill job.
 */
import { backfillWorkerHandlerFromEnv } from './backfillWorkerHandlerFromEnv.js';
import type { BackfillWorkerHandler } from './createBackfillWorkerHandler.js';

export {
  createBackfillWorkerHandler,
  METRIC_NAMES,
  type BackfillWorkerHandler,
  type BackfillWorkerHandlerDeps,
} from './createBackfillWorkerHandler.js';

let cached: BackfillWorkerHandler | undefined;
/** Configuration is read on first invocation so importing stays side-effect free. */
export const handler: BackfillWorkerHandler = async (event, context) => {
  cached ??= backfillWorkerHandlerFromEnv(process.env);
  return cached(event, context);
};
