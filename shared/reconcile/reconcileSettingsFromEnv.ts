import { intEnv } from '../config/env.js';
import { RECONCILE_DEFAULTS, RECONCILE_ENV } from './constants.js';

/** The reconcile worker's tunables, read from its environment (Lambda and local mode alike). */
export interface ReconcileSettings {
  readonly sourceRequestsPerSecond: number;
  readonly healthLakeRequestsPerSecond: number;
  readonly pageSize: number;
}

/** Reads RECONCILE_SOURCE_REQUESTS_PER_SECOND, RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND, RECONCILE_PAGE_SIZE. */
export const reconcileSettingsFromEnv = (env: NodeJS.ProcessEnv = process.env): ReconcileSettings => ({
  sourceRequestsPerSecond: intEnv(
    RECONCILE_ENV.sourceRequestsPerSecond,
    RECONCILE_DEFAULTS.sourceRequestsPerSecond,
    { min: 0, max: 10_000 },
    env,
  ),
  healthLakeRequestsPerSecond: intEnv(
    RECONCILE_ENV.healthLakeRequestsPerSecond,
    RECONCILE_DEFAULTS.healthLakeRequestsPerSecond,
    { min: 0, max: 10_000 },
    env,
  ),
  pageSize: intEnv(RECONCILE_ENV.pageSize, RECONCILE_DEFAULTS.pageSize, { min: 1, max: 1000 }, env),
});
