/** Path of the operation: `POST [base]/$reconcile`. */
export const RECONCILE_OPERATION = '$reconcile';
/** Path segment of a job's status: `[base]/$reconcile-job/{jobId}`. */
export const RECONCILE_JOB_SEGMENT = '$reconcile-job';
/** Most `resourceId` parameters one request may carry (they are kept on the job item). */
export const MAX_RECONCILE_IDS = 1_000;
/** Most `searchUrl` and `resourceType` parameters one request may carry (two streams each). */
export const MAX_RECONCILE_SEARCHES = 150;
/** `resourceId`s per work message. */
export const RECONCILE_IDS_PER_MESSAGE = 100;
/** Ids per `_id=` look-up on the other server (keeps the URL short). */
export const LOOKUP_CHUNK = 100;
/** Sample ids kept on the job per outcome; the full lists go to the payload bucket. */
export const SAMPLES_PER_OUTCOME = 10;
/** Jobs expire from the state table after this many days (TTL). */
export const RECONCILE_RETENTION_DAYS = 30;

/** HealthLake readers (one per data store endpoint) a reconcile worker instance keeps. */
export const MAX_HEALTHLAKE_READERS = 16;

/**
 * Types left out of the default scope: conformance, terminology and infrastructure resources a
 * server holds for itself rather than as data (as smileutil synchronize-fhir-servers does).
 */
export const INFRASTRUCTURE_TYPES: ReadonlySet<string> = new Set([
  'Subscription',
  'SearchParameter',
  'StructureDefinition',
  'StructureMap',
  'CapabilityStatement',
  'OperationDefinition',
  'CompartmentDefinition',
  'ImplementationGuide',
  'GraphDefinition',
  'MessageDefinition',
  'TerminologyCapabilities',
  'NamingSystem',
  'CodeSystem',
  'ValueSet',
  'ConceptMap',
  'OperationOutcome',
  'Parameters',
  'Bundle',
]);

/** Environment variables of the reconcile worker (beyond shared/config ENV). */
export const RECONCILE_ENV = {
  /** SQS queue URL of reconcile work. Enables `$reconcile` on the ingest API when set. */
  queueUrl: 'RECONCILE_QUEUE_URL',
  /** Requests per second to the source server (default 20; 0 = unlimited). */
  sourceRequestsPerSecond: 'RECONCILE_SOURCE_REQUESTS_PER_SECOND',
  /** Requests per second to HealthLake (default 25; 0 = unlimited). */
  healthLakeRequestsPerSecond: 'RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND',
  /** `_count` of reconcile pages (default 500, at most 1000). */
  pageSize: 'RECONCILE_PAGE_SIZE',
  /** Receives of a page before the worker settles it (the queue's maxReceiveCount, `reconcile.retryCount`). */
  maxReceives: 'RECONCILE_MAX_RECEIVES',
} as const;

export const RECONCILE_DEFAULTS = {
  sourceRequestsPerSecond: 20,
  /** HealthLake's GET quota is shared with every other reader (legacy data stores: 100/s). */
  healthLakeRequestsPerSecond: 25,
  pageSize: 500,
} as const;
