import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { cachedSecretReader } from '../../shared/fhirClient/cachedSecretReader.js';
import { createSourceReader } from '../../shared/runtime/createSourceReaderFromEnv.js';
import { checkSourceResource } from '../../shared/ingest/checkSourceResource.js';
import type { PayloadSearchSource } from '../../shared/delivery/types.js';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { type EnvValues } from '../../shared/config/envVar.js';
import { type DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';

/** Per-request timeout of a payload search on the source server, ms. */
const PAYLOAD_SEARCH_TIMEOUT_MS = 10_000;

/**
 * The source reader payload searches run on, built as backfill builds its own, and the checks backfill
 * applies to what it reads (checkSourceResource, with the structure validator). Its own module, loaded
 * on the first payload search, so a deliverer without any keeps the Secrets Manager client, the source
 * client and the validator out of its cold start.
 */
export const payloadSearchSource = async (
  values: EnvValues<typeof DELIVERER_CONTRACT> & { readonly sourceBaseUrl: string },
  credentials: AwsCredentialIdentityProvider,
): Promise<PayloadSearchSource & { readonly destroy: () => void }> => {
  const secrets = new SecretsManagerClient(awsClientConfig(values, values.secretsManagerEndpoint));
  try {
    const reader = await createSourceReader(
      values,
      { getSecret: cachedSecretReader(secrets), credentials },
      // SQS redelivery (with the subscription's backoff) is the retry; one try within the time limit.
      { retry: { maxAttempts: 1 }, timeoutMs: PAYLOAD_SEARCH_TIMEOUT_MS },
    );
    return { reader, check: (value) => checkSourceResource(value), destroy: () => secrets.destroy() };
  } catch (error) {
    secrets.destroy();
    throw error;
  }
};
