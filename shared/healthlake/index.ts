export {
  CredentialCache,
  fromProcessEnv,
  sessionNameFor,
  type CredentialCacheOptions,
  type CredentialProvider,
  type RoleTarget,
} from './CredentialCache.js';
export { CredentialsError, HealthLakeError, HealthLakeTransientError, TransientReason } from './errors.js';
export { HealthLakeClientPool } from './HealthLakeClientPool.js';
export { HealthLakeClient, regionOfEndpoint, type HealthLakeClientOptions } from './HealthLakeClient.js';
export { NodeSha256 } from './NodeSha256.js';
export type { HealthLakeApi, HealthLakeResponse } from './types.js';
export { createHealthLakeReader, type HealthLakeReaderOptions } from './createHealthLakeReader.js';
