/** Most `resourceId` parameters one request may carry (they travel in SQS messages). */
export const MAX_RESOURCE_IDS = 10_000;
/** Most `searchUrl` parameters one request may carry (each is a stream cursor on the job item). */
export const MAX_SEARCH_URLS = 50;
/** `resourceId`s per work message; read with bounded concurrency by one invocation. */
export const IDS_PER_MESSAGE = 100;
/** Not-found ids kept on the job item (the rest are only counted), keeping it far below 400 KB. */
export const MAX_RECORDED_FAILED_IDS = 100;
/** Jobs expire from the state table after this many days (TTL). */
export const JOB_RETENTION_DAYS = 30;
/** Path segment of the job status endpoint: `[base]/$backfill-job/{jobId}`. */
export const JOB_STATUS_SEGMENT = '$backfill-job';
/**
 * Backfill-everything order: supporting resources first, so references resolve as their targets
 * arrive; the remaining types follow in alphabetical order.
 */
export const DEFAULT_BACKFILL_TYPE_ORDER: readonly string[] = [
  'Organization',
  'Location',
  'Practitioner',
  'PractitionerRole',
  'Patient',
];
/**
 * Most event numbers a notification catch-up asks the source's `$events` for; a wider gap (or a
 * hostile jump of the counter) goes straight to history `_since`.
 */
export const MAX_EVENTS_PER_CATCH_UP = 1000;
/**
 * Compiled criteria a worker instance keeps (the recently used ones): a deployment's subscription limit
 * (MAX_SUBSCRIPTIONS, default 100), so subscriptions changed over the instance's life do not pile up.
 */
export const MAX_COMPILED_CRITERIA = 100;
