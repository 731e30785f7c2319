/**
 * The environment contract of every connector Lambda: which variables each function reads, their
 * types, defaults and meaning, and who sets them. The CDK constructs write these names, each
 * function's `...FromEnv` factory reads them only through `readEnv`, and local mode builds the same
 * environments (test/infra/envContract.test.ts checks the synthesized stack against it).
 *
 * Adding a variable:
 *  1. add its name to `ENV` (shared/config/constants.ts) or the function's own `*_ENV` table;
 *  2. add a spec to the function's contract (`*Contract.ts` here, or to a shared group such as `WRITE_PIPELINE_ENV`),
 *     with the right `origin` (`stack` = the CDK stack writes it; `tuning` = a default the stack
 *     leaves alone, set by an operator or by local mode; `local` = local mode only; `lambda` = the
 *     Lambda runtime);
 *  3. read it from the factory's `readEnv(...)` result, and write it in the construct (`stack`) or in
 *     local/functionEnvironments.ts (`local`/`tuning`).
 * The contract test fails while a `stack` variable is never written, or the stack writes a variable
 * the function does not declare.
 *
 * This folder is the top of `shared/`: it assembles the domain from an environment, and nothing in
 * the domain imports it.
 */
import { BACKFILL_WORKER_CONTRACT } from './backfillWorkerContract.js';
import { DELIVERER_CONTRACT } from './delivererContract.js';
import { INGEST_CONTRACT } from './ingestContract.js';
import { NOTIFICATION_CHECK_CONTRACT } from './notificationCheckContract.js';
import { RECONCILE_WORKER_CONTRACT } from './reconcileWorkerContract.js';
import { SUBSCRIPTION_PROVISIONER_CONTRACT } from './subscriptionProvisionerContract.js';

/** Every function's contract, by the name the contract test and local mode use. */
export const FUNCTION_CONTRACTS = {
  ingest: INGEST_CONTRACT,
  deliverer: DELIVERER_CONTRACT,
  backfillWorker: BACKFILL_WORKER_CONTRACT,
  reconcileWorker: RECONCILE_WORKER_CONTRACT,
  subscriptionProvisioner: SUBSCRIPTION_PROVISIONER_CONTRACT,
  notificationCheck: NOTIFICATION_CHECK_CONTRACT,
} as const;
