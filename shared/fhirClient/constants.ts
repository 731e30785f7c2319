/** Default search page size (`_count`) when a search sets none. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * Default cap on requests per second to a source server, per worker or deliverer instance: finite, so
 * a backfill never floods a system of record; 0 (explicitly) means unlimited.
 */
export const DEFAULT_SOURCE_REQUESTS_PER_SECOND = 10;
/**
 * Default cap on one response body from a source server or HealthLake (32 MiB): a search page of 1,000
 * large resources fits; a hostile or broken answer of hundreds of MiB is cut off while it streams.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
