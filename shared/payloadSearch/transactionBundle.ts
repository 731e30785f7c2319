import type { FhirResource } from '../fhir/types.js';

/**
 * A FHIR transaction Bundle that writes each resource with `PUT Type/id` (update-as-create), as HAPI's
 * payload search delivery does; `fullUrl` is the resource's relative URL.
 *
 * @example
 * transactionBundle([observation, patient]).entry[1].request // { method: 'PUT', url: 'Patient/2' }
 */
export const transactionBundle = (
  resources: readonly (FhirResource & { resourceType: string; id: string })[],
): Record<string, unknown> => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((resource) => ({
    fullUrl: `${resource.resourceType}/${resource.id}`,
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
  })),
});
