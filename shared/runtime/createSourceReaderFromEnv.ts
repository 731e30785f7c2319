import { ENV } from '../config/constants.js';
import { readEnv, type EnvValues } from '../config/envVar.js';
import { SOURCE_FHIR_ENV, sourceFhirRules } from './sourceFhirEnv.js';
import type { SourceAuthDeps } from '../fhirClient/createSourceAuth.js';
import { createSourceAuth } from '../fhirClient/createSourceAuth.js';
import { FhirClient, type FhirClientOptions } from '../fhirClient/FhirClient.js';
import {
  clientCertificateFetch,
  parseClientCertificateSecret,
} from '../fhirClient/clientCertificateFetch.js';

/**
 * Builds the source FHIR client from the environment (`SOURCE_FHIR_ENV`): base URL, authentication
 * kind, credentials, page size, rate (default 10 requests per second per worker; 0 = unlimited) and
 * SigV4 signing (`SOURCE_FHIR_REGION` is required for sigv4: the stack writes the source's region, never
 * the function's own, which may differ). Credentials come from the Secrets Manager
 * secret `SOURCE_FHIR_SECRET_ID` through `deps.getSecret`, or, in local mode, from the same JSON given
 * inline in `SOURCE_FHIR_SECRET`; either way the same parsing (createSourceAuth) applies. With
 * `SOURCE_FHIR_TLS_SECRET_ID` (or `SOURCE_FHIR_TLS_SECRET` inline), requests present its client
 * certificate; every response body is read with the `SOURCE_FHIR_MAX_RESPONSE_BYTES` cap.
 */
export const createSourceReaderFromEnv = async (
  deps: SourceAuthDeps,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FhirClient> => {
  const values = readEnv(SOURCE_FHIR_ENV, env, 'backfill source', sourceFhirRules);
  return createSourceReader(values, deps);
};

/**
 * The source FHIR client from already-read source variables (see createSourceReaderFromEnv), with
 * `overrides` of the client's own options (the deliverer's payload search retries through SQS instead,
 * so it sets one attempt and a shorter timeout).
 *
 * @example
 * const source = await createSourceReader(values, { getSecret }, { retry: { maxAttempts: 1 } });
 */
export const createSourceReader = async (
  values: EnvValues<typeof SOURCE_FHIR_ENV>,
  deps: SourceAuthDeps,
  overrides: Pick<FhirClientOptions, 'retry' | 'timeoutMs'> = {},
): Promise<FhirClient> => {
  // Mutual TLS: the client certificate (and CA bundle) from its own secret, or inline in local mode.
  const tlsSecret =
    values.sourceTlsSecret ??
    (values.sourceTlsSecretId === undefined ? undefined : await deps.getSecret(values.sourceTlsSecretId));
  const fetch =
    tlsSecret === undefined ? deps.fetch : clientCertificateFetch(parseClientCertificateSecret(tlsSecret));
  const inline = values.sourceSecret;
  const auth = await createSourceAuth(
    {
      kind: values.sourceAuth,
      secretId: inline === undefined ? values.sourceSecretId : ENV.sourceFhirSecret,
      region: values.sourceRegion,
      service: values.sourceSigV4Service ?? 'healthlake',
    },
    {
      ...deps,
      ...(inline === undefined ? {} : { getSecret: async () => inline }),
      ...(fetch ? { fetch } : {}),
    },
  );
  return new FhirClient({
    baseUrl: values.sourceBaseUrl,
    auth,
    pageSize: values.sourcePageSize,
    requestsPerSecond: values.sourceRequestsPerSecond,
    maxResponseBytes: values.sourceMaxResponseBytes,
    ...(fetch ? { fetch } : {}),
    ...overrides,
  });
};
