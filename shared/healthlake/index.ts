export {
  assumeRoleSource,
  cachedCredentials,
  ownCredentials,
  roleCredentials,
  SESSION_DURATION_LIMITS,
  sessionNameFor,
  type CredentialProvider,
  type HealthLakeCredentials,
  type RoleCredentialsOptions,
  type RoleTarget,
} from './credentials.js';
export {
  CredentialsError,
  HealthLakeError,
  HealthLakeTransientError,
  isAccessDenied,
  TransientReason,
} from './errors.js';
export { HealthLakeClientPool } from './HealthLakeClientPool.js';
export { HealthLakeClient, regionOfEndpoint, type HealthLakeClientOptions } from './HealthLakeClient.js';
export { NodeSha256 } from './NodeSha256.js';
export type { HealthLakeApi, HealthLakeResponse } from './types.js';
export { createHealthLakeReader, type HealthLakeReaderOptions } from './createHealthLakeReader.js';
