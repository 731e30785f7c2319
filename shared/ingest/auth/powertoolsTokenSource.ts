import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { INGEST_DEFAULTS } from '../constants.js';
import type { TokenHashSource } from './types.js';

export interface PowertoolsTokenSourceOptions {
  /** `secretsmanager`: a secret; `ssm`: a SecureString parameter. Either holds a JSON list. */
  readonly store: 'secretsmanager' | 'ssm';
  readonly name: string;
  /** Cache lifetime, seconds: a rotated list is picked up within this time. @default INGEST_DEFAULTS.tokenCacheSeconds (120) */
  readonly maxAgeSeconds?: number;
  readonly secretsClient?: SecretsManagerClient;
  readonly ssmClient?: SSMClient;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Bearer token hashes from Secrets Manager or SSM via Powertools Parameters (cached `maxAgeSeconds`).
 * The value is a JSON list of sha256 hex strings or of `{ "sha256": "...", "name": "..." }` objects;
 * anything else is ignored rather than trusted.
 */
export const powertoolsTokenSource = (options: PowertoolsTokenSourceOptions): TokenHashSource => {
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
  return async () => parseTokenHashes(await fetch());
};

/** The valid sha256 hex hashes in a token list value. */
export const parseTokenHashes = (value: unknown): string[] => {
  if (!Array.isArray(value)) return [];
  return value
    .map((item) => (typeof item === 'string' ? item : (item as { sha256?: unknown } | null)?.sha256))
    .filter((hash): hash is string => typeof hash === 'string')
    .map((hash) => hash.toLowerCase())
    .filter((hash) => SHA256_HEX.test(hash));
};
