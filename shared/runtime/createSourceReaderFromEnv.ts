import { ENV } from '../config/constants.js';
import { readEnv, type EnvValues } from '../config/envVar.js';
import { SOURCE_FHIR_ENV, sourceFhirRules } from './sourceFhirEnv.js';
import type { SourceAuthDeps } from '../fhirClient/createSourceAuth.js';
import { createSourceAuth } from '../fhirClient/createSourceAuth.js';
import { FhirClient, type FhirClientOptions } from '../fhirClient/FhirClient.js';

/**
 * Builds the source FHIR client from the environment (`SOURCE_FHIR_ENV`): base URL, authentication
 * kind, credentials, page size, rate (default 10 requests per second per worker; 0 = unlimited) and
 * SigV4 signing (`SOURCE_FHIR_REGION` is required for sigv4: the stack writes the source's region, never
 * the function's own, which may differ). Credentials come from the Secrets Manager
 * secret `SOURCE_FHIR_SECRET_ID` through `deps.getSecret`, or, in local mode, from the same JSON given
 * inline in `SOURCE_FHIR_SECRET`; either way the same parsing (createSourceAuth) applies.
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
  const inline = values.sourceSecret;
  const auth = await createSourceAuth(
    {
      kind: values.sourceAuth,
      secretId: inline === undefined ? values.sourceSecretId : ENV.sourceFhirSecret,
      region: values.sourceRegion,
      service: values.sourceSigV4Service ?? 'healthlake',
    },
    inline === undefined ? deps : { ...deps, getSecret: async () => inline },
  );
  return new FhirClient({
    baseUrl: values.sourceBaseUrl,
    auth,
    pageSize: values.sourcePageSize,
    requestsPerSecond: values.sourceRequestsPerSecond,
    fetch: deps.fetch,
    ...overrides,
  });
};
