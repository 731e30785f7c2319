import { ENV } from '../../config/constants.js';
import { intEnv, requireEnv, optionalEnv } from '../../config/env.js';
import { DEFAULT_PAGE_SIZE, DEFAULT_SOURCE_REQUESTS_PER_SECOND } from '../constants.js';
import type { SourceAuthDeps } from './createSourceAuth.js';
import { createSourceAuth, parseSourceAuthKind } from './createSourceAuth.js';
import { SourceFhirClient } from './SourceFhirClient.js';

/**
 * Builds the source FHIR client from the environment: `SOURCE_FHIR_BASE_URL`, `SOURCE_FHIR_AUTH`
 * (none|bearer|basic|sigv4|oauth2), `SOURCE_FHIR_SECRET_ID` (credentials, Secrets Manager),
 * `SOURCE_FHIR_PAGE_SIZE` (default 100), `SOURCE_FHIR_REQUESTS_PER_SECOND` (default 10 per worker; 0 = unlimited),
 * `SOURCE_FHIR_SIGV4_SERVICE` (default healthlake) and `SOURCE_FHIR_REGION` (default AWS_REGION).
 */
export const createSourceReaderFromEnv = async (
  deps: SourceAuthDeps,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SourceFhirClient> => {
  const kind = parseSourceAuthKind(env[ENV.sourceFhirAuth]);
  const auth = await createSourceAuth(
    {
      kind,
      secretId: env[ENV.sourceFhirSecretId],
      region: optionalEnv(ENV.sourceFhirRegion, env.AWS_REGION ?? '', env) || undefined,
      service: optionalEnv(ENV.sourceFhirSigV4Service, 'healthlake', env),
    },
    deps,
  );
  return new SourceFhirClient({
    baseUrl: requireEnv(ENV.sourceFhirBaseUrl, env),
    auth,
    pageSize: intEnv(ENV.sourceFhirPageSize, DEFAULT_PAGE_SIZE, { min: 1, max: 1000 }, env),
    requestsPerSecond: intEnv(
      ENV.sourceFhirRequestsPerSecond,
      DEFAULT_SOURCE_REQUESTS_PER_SECOND,
      { min: 0, max: 10_000 },
      env,
    ),
    fetch: deps.fetch,
  });
};
