/** Role chaining (a Lambda assuming a role) caps sessions at one hour; STS's minimum is 15 minutes. */
export const SESSION_DURATION_LIMITS = { min: 900, max: 3600 } as const;

/**
 * HealthLake's limit of entries in one batch or transaction Bundle, as AWS's general reference lists it
 * (a newer quota page is reported to say 500): the default of `healthLake.maxBundleEntries`.
 */
export const HEALTHLAKE_MAX_BUNDLE_ENTRIES = 160;
/** The largest `healthLake.maxBundleEntries` accepted. */
export const MAX_CONFIGURABLE_BUNDLE_ENTRIES = 1000;

/**
 * Transaction Bundles per second one deliverer instance sends to one data store by default. HealthLake
 * allows 10 Bundle requests per second per data store (1 on data stores created before 2023-08-21)
 * and 20 per account; with MaximumConcurrency N, up to N instances send at this rate.
 */
export const DEFAULT_BUNDLE_REQUESTS_PER_SECOND = 1;

/**
 * Longest a `Retry-After` holds a data store's writes, seconds, when no retry maximum is given: the
 * deliverer's default largest retry delay (DELIVERY_RETRY_MAX_SECONDS).
 */
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 300;
