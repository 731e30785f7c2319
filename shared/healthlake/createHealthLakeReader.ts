import { FhirClient } from '../fhirClient/FhirClient.js';
import { sigV4Auth } from '../fhirClient/sigV4Auth.js';
import type { CredentialProvider } from './credentials.js';
import { regionOfEndpoint } from './HealthLakeClient.js';

export interface HealthLakeReaderOptions {
  /** Data store base URL (`https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/`). */
  readonly endpoint: string;
  /** Signing credentials: the customer role's (`roleCredentials(...).provider`) or the function's own. */
  readonly credentials: CredentialProvider;
  /** @default the region in the endpoint's host name */
  readonly region?: string;
  /** Reads per second (0 = unlimited). HealthLake's read quota is shared with every other reader. */
  readonly requestsPerSecond: number;
  /** Largest response body read, bytes. @default DEFAULT_MAX_RESPONSE_BYTES (32 MiB) */
  readonly maxResponseBytes?: number;
  readonly fetch?: typeof fetch;
}

/**
 * The read side of the HealthLake data plane (search and read, `healthlake:SearchWithGet` and
 * `healthlake:ReadResource`): SigV4 with service `healthlake` and the customer role's credentials,
 * with the source client's rate limit, retries on 429/5xx, same-origin checks on next links and its
 * response byte cap.
 *
 * @example
 * const reader = createHealthLakeReader({ endpoint, credentials: roleCredentials({ role, connectorId }).provider, requestsPerSecond: 25 });
 * const page = await reader.searchPage(reader.resolveSearchUrl('Patient?_elements=id,meta'));
 */
export const createHealthLakeReader = (options: HealthLakeReaderOptions): FhirClient => {
  const region = options.region ?? regionOfEndpoint(options.endpoint);
  if (!region) throw new Error('No signing region given and none in the HealthLake endpoint host');
  return new FhirClient({
    baseUrl: options.endpoint,
    auth: sigV4Auth({ region, service: 'healthlake', credentials: options.credentials }),
    requestsPerSecond: options.requestsPerSecond,
    ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
};
