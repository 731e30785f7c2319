/** The substitution HAPI FHIR documents for payload search criteria (the only one it documents). */
export const MATCHED_RESOURCE_ID = '${matched_resource_id}';

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
