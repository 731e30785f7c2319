/** Default search page size (`_count`) when a search sets none. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * Default cap on requests per second to a source server, per worker or deliverer instance: finite, so
 * a backfill never floods a system of record; 0 (explicitly) means unlimited.
 */
export const DEFAULT_SOURCE_REQUESTS_PER_SECOND = 10;
