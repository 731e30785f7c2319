import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { INGEST_DEFAULTS } from '../constants.js';
import { parseTokenList } from './parseTokenList.js';
import type { TokenSource } from './types.js';

export interface PowertoolsTokenSourceOptions {
  /** `secretsmanager`: a secret; `ssm`: a SecureString parameter. Either holds the token list (see parseTokenList). */
  readonly store: 'secretsmanager' | 'ssm';
  readonly name: string;
  /** Cache lifetime, seconds: a rotated list is picked up within this time. @default INGEST_DEFAULTS.tokenCacheSeconds (120) */
  readonly maxAgeSeconds?: number;
  readonly secretsClient?: SecretsManagerClient;
  readonly ssmClient?: SSMClient;
}

/**
 * The accepted bearer tokens from Secrets Manager or SSM via Powertools Parameters (cached
 * `maxAgeSeconds`), parsed by `parseTokenList`: `{"tokens":[{"name","scope","sha256"}]}`, or the older
 * bare list of hashes (write scope only).
 */
export const powertoolsTokenSource = (options: PowertoolsTokenSourceOptions): TokenSource => {
  const maxAge = options.maxAgeSeconds ?? INGEST_DEFAULTS.tokenCacheSeconds;
  const fetch =
    options.store === 'ssm'
      ? (() => {
          const provider = new SSMProvider(options.ssmClient ? { awsSdkV3Client: options.ssmClient } : {});
          return () => provider.get(options.name, { maxAge, decrypt: true, transform: 'json' });
        })()
      : (() => {
          const provider = new SecretsProvider(
            options.secretsClient ? { awsSdkV3Client: options.secretsClient } : {},
          );
          return () => provider.get(options.name, { maxAge, transform: 'json' });
        })();
  return async () => parseTokenList(await fetch());
};
