import type { FhirStandin, FhirStandinOptions } from './server.js';
import { startFhirStandin } from './server.js';

export { FAULT_KINDS, FaultInjector, DEFAULT_FAULTS } from './faults.js';
export type { FaultConfig, FaultDecision, FaultKind, FaultMatch, ScriptedFault } from './faults.js';
export { FhirStore } from './fhirStore.js';
export type { SearchPage, StoredVersion } from './fhirStore.js';
export { ensureFhirDefinitions } from './fhirDefinitions.js';
export { resourcesOfBundle, seedFromFolder, seedResources } from './seed.js';
export type { SeedOptions, SeedResult } from './seed.js';
export { DEFAULT_MAX_RECORDED_REQUESTS, startFhirStandin } from './server.js';
export type {
  FhirStandin,
  FhirStandinAuth,
  FhirStandinDatastore,
  FhirStandinOptions,
  RecordedRequest,
} from './server.js';
export { SIGV4_FAILURES, verifySigV4 } from './sigv4Verifier.js';
export type { CredentialLookup, KnownCredential, RawSignedRequest, SigV4Result } from './sigv4Verifier.js';
export { StsStandin } from './sts.js';
export type { AssumeRoleCall, StsStandinOptions } from './sts.js';

/**
 * A HealthLake data store stand-in: `/datastore/{id}/r4/`, SigV4 (service `healthlake`) with
 * credentials from its own STS `AssumeRole` endpoint.
 *
 * @example
 * const healthLake = await startHealthLakeStandin({ notSupportedTypes: ['Basic'] });
 * const sts = new STSClient({ region: 'us-east-1', endpoint: healthLake.stsEndpoint, credentials: healthLake.baseCredentials });
 * // ... AssumeRole(healthLake.roleArn, healthLake.externalId), sign PUT `${healthLake.endpoint}Patient/1`
 * await healthLake.stop();
 */
export const startHealthLakeStandin = (
  options: Omit<FhirStandinOptions, 'auth'> & { auth?: FhirStandinOptions['auth'] } = {},
): Promise<FhirStandin> => startFhirStandin({ auth: 'sigv4', ...options });

/**
 * A source FHIR server stand-in (the system of record backfill reads from): base `/fhir/`, no
 * authentication unless `auth` says otherwise, usually seeded with `seedFromFolder`/`seedResources`.
 *
 * @example
 * const source = await startFhirSourceStandin();
 * seedResources(source.store, resources);
 * const page = await fetch(`${source.endpoint}Observation?_count=50`);
 */
export const startFhirSourceStandin = (options: FhirStandinOptions = {}): Promise<FhirStandin> =>
  startFhirStandin({ auth: 'none', basePath: '/fhir/', ...options });
