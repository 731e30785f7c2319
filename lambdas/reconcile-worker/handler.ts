/**
 * Reconcile worker Lambda entry point: one SQS record = the plan or one page of a reconcile job.
 */
import type { ReconcileWorkerHandler } from './createReconcileWorkerHandler.js';
import { reconcileWorkerHandlerFromEnv } from './reconcileWorkerHandlerFromEnv.js';

export {
  createReconcileWorkerHandler,
  RECONCILE_METRICS,
  type ReconcileWorkerHandler,
  type ReconcileWorkerHandlerDeps,
} from './createReconcileWorkerHandler.js';

let cached: ReconcileWorkerHandler | undefined;
/** Configuration is read on first invocation so importing stays side-effect free. */
export const handler: ReconcileWorkerHandler = async (event, context) => {
  cached ??= reconcileWorkerHandlerFromEnv(process.env);
  return cached(event, context);
};
