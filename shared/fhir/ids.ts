/** FHIR `id`: 1-64 of [A-Za-z0-9-.] (R4 datatypes). Rejects path tricks such as `..%2F` by construction. */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
/** A FHIR resource type name as it appears in URLs and `resourceType`. */
export const RESOURCE_TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;

export const isFhirId = (value: unknown): value is string =>
  typeof value === 'string' && FHIR_ID_PATTERN.test(value) && value !== '.' && value !== '..';

/** `Type/id`, the key of a resource in the ledger, the FIFO message group and HealthLake's URL. */
export const resourceKey = (resourceType: string, id: string): string => `${resourceType}/${id}`;
