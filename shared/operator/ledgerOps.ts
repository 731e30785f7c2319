import type { ApiResponse, FhirApiClient } from './FhirApiClient.js';

/**
 * `hlc ledger reset <Type>[/<id>]`: `POST [base]/{Type}[/{id}]/$reset-version`. The target is passed
 * as typed; the server checks the type and id, so nothing is encoded away here.
 *
 * @example
 * const response = await resetVersions(client, 'Patient/p1');
 */
export const resetVersions = (client: FhirApiClient, target: string): Promise<ApiResponse> =>
  client.request('POST', `${target.replace(/^\/+|\/+$/g, '')}/$reset-version`);
