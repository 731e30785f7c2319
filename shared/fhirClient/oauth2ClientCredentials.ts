import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { PermanentSourceError, SourceConfigurationError, TransientSourceError } from './errors.js';
import type { SourceAuth } from './SourceAuth.js';

export interface OAuth2ClientCredentialsOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** `client_secret_basic` (default with a secret) or `private_key_jwt` (SMART Backend Services). */
  readonly method?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  readonly clientSecret?: string;
  /** PEM private key for `private_key_jwt`. */
  readonly privateKey?: string;
  /** `kid` of the JWT header (the key's id in the client's JWKS). */
  readonly keyId?: string;
  /** JWS algorithm for `private_key_jwt`: RS384 (default) or ES384, as SMART requires. */
  readonly algorithm?: 'RS384' | 'ES384';
  readonly scope?: string;
  /** Refresh this many seconds before the token expires (default 60). */
  readonly refreshSkewSeconds?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * OAuth2 client-credentials grant (SMART Backend Services style), with the access token cached until
 * shortly before it expires and concurrent callers sharing one token request.
 *
 * @example
 * const auth = oauth2ClientCredentials({ tokenUrl, clientId: 'connector', clientSecret, scope: 'system/*.read' });
 * const headers = await auth.headers({ method: 'GET', url });
 */
export const oauth2ClientCredentials = (
  options: OAuth2ClientCredentialsOptions,
): SourceAuth & {
  /** Token requests made so far (for tests and metrics). */
  readonly tokenRequests: () => number;
} => {
  const method = options.method ?? (options.privateKey ? 'private_key_jwt' : 'client_secret_basic');
  if (method === 'private_key_jwt' ? !options.privateKey : !options.clientSecret) {
    throw new SourceConfigurationError(
      `OAuth2 ${method} needs ${method === 'private_key_jwt' ? 'privateKey' : 'clientSecret'}`,
    );
  }
  assertTokenUrl(options.tokenUrl);
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const skewMs = (options.refreshSkewSeconds ?? 60) * 1000;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let requests = 0;

  const clientAssertion = (): string => {
    const alg = options.algorithm ?? 'RS384';
    const header = { alg, typ: 'JWT', ...(options.keyId ? { kid: options.keyId } : {}) };
    const issuedAt = Math.floor(now() / 1000);
    const claims = {
      iss: options.clientId,
      sub: options.clientId,
      aud: options.tokenUrl,
      jti: randomUUID(),
      iat: issuedAt,
      exp: issuedAt + 300,
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const key = createPrivateKey(options.privateKey ?? '');
    const signature = sign(
      'sha384',
      Buffer.from(input),
      alg === 'ES384' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    );
    return `${input}.${base64url(signature)}`;
  };

  const requestToken = async (): Promise<string> => {
    requests += 1;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope) body.set('scope', options.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (method === 'client_secret_basic') {
      const user = encodeURIComponent(options.clientId);
      const pass = encodeURIComponent(options.clientSecret ?? '');
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else if (method === 'client_secret_post') {
      body.set('client_id', options.clientId);
      body.set('client_secret', options.clientSecret ?? '');
    } else {
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', clientAssertion());
    }
    let response: Response;
    try {
      response = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers,
        body,
        // The client secret or assertion must reach only the configured endpoint.
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new TransientSourceError('OAuth2 token endpoint unreachable', undefined, { cause: error });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new PermanentSourceError(
        `OAuth2 token endpoint answered HTTP ${response.status} (a redirect); redirects are never followed: configure the final token URL`,
        response.status,
      );
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientSourceError(`OAuth2 token endpoint answered ${response.status}`, response.status);
    }
    if (!response.ok) {
      throw new PermanentSourceError(
        `OAuth2 token endpoint refused the client credentials (HTTP ${response.status})`,
        response.status,
      );
    }
    const json = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string' || json.access_token === '') {
      throw new PermanentSourceError('OAuth2 token response has no access_token');
    }
    const lifetimeSeconds = typeof json.expires_in === 'number' ? json.expires_in : 300;
    cached = { token: json.access_token, expiresAt: now() + lifetimeSeconds * 1000 };
    return json.access_token;
  };

  const token = async (): Promise<string> => {
    if (cached && now() < cached.expiresAt - skewMs) return cached.token;
    pending ??= requestToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  return {
    headers: async () => ({ authorization: `Bearer ${await token()}` }),
    invalidate: () => {
      cached = undefined;
    },
    tokenRequests: () => requests,
  };
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The token URL must be https (it receives the client's secret), except on loopback for local mode. */
const assertTokenUrl = (tokenUrl: string): void => {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new SourceConfigurationError('OAuth2 tokenUrl is not a valid URL');
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(\.[0-9]{1,3}){3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SourceConfigurationError(
      'OAuth2 tokenUrl must be https:// (http:// only on loopback, for local mode)',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new SourceConfigurationError('OAuth2 tokenUrl must not embed credentials');
  }
};
