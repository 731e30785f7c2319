/** The substitution HAPI FHIR documents for payload search criteria (the only one it documents). */
export const MATCHED_RESOURCE_ID = '${matched_resource_id}';

/** HealthLake's limit of entries in one batch or transaction Bundle (endpoints-and-quotas page). */
export const HEALTHLAKE_MAX_BUNDLE_ENTRIES = 160;

/**
 * Transaction Bundles per second one deliverer instance sends to one data store by default. HealthLake
 * allows 10 Bundle requests per second per data store (1 on data stores created before 2023-08-21)
 * and 20 per account; with MaximumConcurrency N, up to N instances send at this rate.
 */
export const DEFAULT_BUNDLE_REQUESTS_PER_SECOND = 1;

/** Longest payload search criteria accepted (it travels in every delivery message). */
export const MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH = 2048;

/**
 * Search result parameters that make the source answer partial resources (or another format): a
 * partial resource PUT to HealthLake would replace the complete copy there.
 */
export const REFUSED_RESULT_PARAMETERS: readonly string[] = [
  '_summary',
  '_elements',
  '_format',
  '_contained',
];
