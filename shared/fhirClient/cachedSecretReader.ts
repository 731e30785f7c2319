import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Seconds a fetched source secret is reused before it is read again. */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * The `getSecret` of the source readers (backfill and reconcile workers): Powertools' cached
 * Secrets Manager read through `client`, which must be a string secret.
 */
export const cachedSecretReader = (client: SecretsManagerClient): ((id: string) => Promise<string>) => {
  const secrets = new SecretsProvider({ awsSdkV3Client: client });
  return async (id) => {
    const value = await secrets.get(id, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof value !== 'string') throw new Error('Source FHIR secret is not a string');
    return value;
  };
};
