import { ENV } from '../config/constants.js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SourceConfigurationError } from './errors.js';
import { oauth2ClientCredentials } from './oauth2ClientCredentials.js';
import type { SourceAuth, SourceAuthKind } from './SourceAuth.js';
import { SOURCE_AUTH_KINDS, basicAuth, bearerAuth, noAuth } from './SourceAuth.js';
import { sigV4Auth } from './sigV4Auth.js';

export interface SourceAuthConfig {
  readonly kind: SourceAuthKind;
  /** Secrets Manager secret id (JSON); required for bearer, basic and oauth2. */
  readonly secretId?: string;
  /** SigV4: signing region and service (default `healthlake`). */
  readonly region?: string;
  readonly service?: string;
}

export interface SourceAuthDeps {
  /** Reads a secret string (Powertools `getSecret` with caching, or the SDK client). */
  readonly getSecret: (secretId: string) => Promise<string>;
  /** SigV4 only: the function's credentials. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly fetch?: typeof fetch;
}

/** Parses `SOURCE_FHIR_AUTH`. */
export const parseSourceAuthKind = (value: string | undefined): SourceAuthKind => {
  const kind = (value ?? 'none').trim().toLowerCase();
  if (!(SOURCE_AUTH_KINDS as readonly string[]).includes(kind)) {
    throw new SourceConfigurationError(
      `Source FHIR auth must be one of ${SOURCE_AUTH_KINDS.join(', ')}, got "${value ?? ''}"`,
    );
  }
  return kind as SourceAuthKind;
};

const str = (secret: Record<string, unknown>, field: string, required: boolean): string | undefined => {
  const value = secret[field];
  if (typeof value === 'string' && value !== '') return value;
  if (required) throw new SourceConfigurationError(`Source FHIR secret lacks the "${field}" field`);
  return undefined;
};

/**
 * Builds the source authentication from configuration; credentials come only from the secret.
 * Secret JSON by kind: bearer `{ "token" }`; basic `{ "username", "password" }`; oauth2
 * `{ "tokenUrl", "clientId", "clientSecret" | "privateKey", "keyId"?, "algorithm"?, "scope"?, "method"? }`.
 *
 * @example
 * const auth = await createSourceAuth({ kind: 'bearer', secretId: 'hlc/source' }, { getSecret });
 */
export const createSourceAuth = async (
  config: SourceAuthConfig,
  deps: SourceAuthDeps,
): Promise<SourceAuth> => {
  if (config.kind === 'none') return noAuth();
  if (config.kind === 'sigv4') {
    if (!config.region)
      throw new SourceConfigurationError(`SigV4 source auth needs a region (${ENV.sourceFhirRegion})`);
    if (!deps.credentials) throw new SourceConfigurationError('SigV4 source auth needs credentials');
    return sigV4Auth({ region: config.region, service: config.service, credentials: deps.credentials });
  }
  if (!config.secretId) {
    throw new SourceConfigurationError(`Source FHIR auth "${config.kind}" needs a secret id`);
  }
  const raw = await deps.getSecret(config.secretId);
  let secret: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    secret = parsed as Record<string, unknown>;
  } catch {
    // A bare string is accepted as a bearer token; never echo the secret.
    if (config.kind === 'bearer' && raw.trim() !== '') return bearerAuth(raw.trim());
    throw new SourceConfigurationError('Source FHIR secret is not a JSON object');
  }
  switch (config.kind) {
    case 'bearer':
      return bearerAuth(str(secret, 'token', true) ?? '');
    case 'basic':
      return basicAuth(str(secret, 'username', true) ?? '', str(secret, 'password', true) ?? '');
    case 'oauth2': {
      const method = str(secret, 'method', false);
      const algorithm = str(secret, 'algorithm', false);
      if (method && !['client_secret_basic', 'client_secret_post', 'private_key_jwt'].includes(method)) {
        throw new SourceConfigurationError(
          'Source FHIR secret "method" is not a supported client authentication',
        );
      }
      if (algorithm && algorithm !== 'RS384' && algorithm !== 'ES384') {
        throw new SourceConfigurationError('Source FHIR secret "algorithm" must be RS384 or ES384');
      }
      return oauth2ClientCredentials({
        tokenUrl: str(secret, 'tokenUrl', true) ?? '',
        clientId: str(secret, 'clientId', true) ?? '',
        clientSecret: str(secret, 'clientSecret', false),
        privateKey: str(secret, 'privateKey', false),
        keyId: str(secret, 'keyId', false),
        scope: str(secret, 'scope', false),
        method: method as 'client_secret_basic' | undefined,
        algorithm: algorithm as 'RS384' | undefined,
        fetch: deps.fetch,
      });
    }
  }
};
