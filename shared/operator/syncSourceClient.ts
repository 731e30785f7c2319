import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { clientCertificateFetch, type ClientCertificate } from '../fhirClient/clientCertificateFetch.js';
import { createSourceAuth } from '../fhirClient/createSourceAuth.js';
import type { FhirClientOptions } from '../fhirClient/FhirClient.js';
import type { SourceAuth, SourceAuthKind } from '../fhirClient/SourceAuth.js';

/** How `hlc sync` reaches its source server, as the flags and environment give it. */
export interface SyncSourceSettings {
  /** @default inferred: bearer with a token, basic with `user:password`, oauth2 with a token URL, else none */
  readonly auth?: SourceAuthKind;
  readonly bearerToken?: string;
  /** smileutil `--source-basic-auth user:password`. */
  readonly basicAuth?: string;
  /** A JSON file with the same fields as the deployment's source secret (`token`, `username`, `tokenUrl`...). */
  readonly secretJson?: string;
  readonly oauth2?: {
    readonly tokenUrl?: string;
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly scope?: string;
  };
  /** SigV4: signing region and service (default `healthlake`); credentials from the SDK's default chain. */
  readonly sigv4?: { readonly region?: string; readonly service?: string };
  /** Client-certificate TLS: PEM certificate, key and CA bundle (file contents). */
  readonly tls?: ClientCertificate;
  readonly maxResponseBytes?: number;
  readonly pageSize?: number;
  /** Requests per second to the source (default 10, as a backfill worker; 0 = unlimited). */
  readonly requestsPerSecond?: number;
  /** Sent as `x-request-id` with every request to the source (smileutil `--request-id`). */
  readonly requestId?: string;
}

/** The secret JSON createSourceAuth reads, built from the flags (or the file given). */
const secretOf = (settings: SyncSourceSettings, kind: SourceAuthKind): string => {
  if (settings.secretJson !== undefined) return settings.secretJson;
  if (kind === 'bearer') return JSON.stringify({ token: settings.bearerToken ?? '' });
  if (kind === 'basic') {
    const text = settings.basicAuth ?? '';
    const colon = text.indexOf(':');
    if (colon < 1) throw new Error('--source-basic-auth must be username:password');
    return JSON.stringify({ username: text.slice(0, colon), password: text.slice(colon + 1) });
  }
  return JSON.stringify(settings.oauth2 ?? {});
};

const inferredKind = (settings: SyncSourceSettings): SourceAuthKind => {
  if (settings.auth) return settings.auth;
  if (settings.bearerToken !== undefined) return 'bearer';
  if (settings.basicAuth !== undefined) return 'basic';
  if (settings.oauth2?.tokenUrl !== undefined) return 'oauth2';
  return 'none';
};

/** Adds fixed headers (`x-request-id`) to what another authentication adds. */
const withHeaders = (auth: SourceAuth, extra: Readonly<Record<string, string>>): SourceAuth => ({
  headers: async (request) => ({ ...extra, ...(await auth.headers(request)) }),
  ...(auth.invalidate ? { invalidate: () => auth.invalidate?.() } : {}),
});

/**
 * The FhirClient options `hlc sync` reads its source with: the same authentication backfill supports
 * (bearer, basic, OAuth2 client credentials, SigV4, parsed by the same createSourceAuth), client-
 * certificate TLS, the response cap and the page size.
 *
 * @example
 * const options = await syncSourceClientOptions({ basicAuth: 'user:secret', tls: { cert, key, ca } }, {});
 */
export const syncSourceClientOptions = async (
  settings: SyncSourceSettings,
  deps: { readonly credentials?: () => AwsCredentialIdentityProvider },
): Promise<Omit<FhirClientOptions, 'baseUrl'>> => {
  const kind = inferredKind(settings);
  const fetch = settings.tls ? clientCertificateFetch(settings.tls) : undefined;
  if (kind === 'sigv4' && !settings.sigv4?.region) throw new Error('SigV4 source auth needs --source-region');
  const auth = await createSourceAuth(
    {
      kind,
      secretId: 'hlc sync flags',
      ...(settings.sigv4?.region ? { region: settings.sigv4.region } : {}),
      service: settings.sigv4?.service ?? 'healthlake',
    },
    {
      getSecret: async () => secretOf(settings, kind),
      ...(kind === 'sigv4' && deps.credentials ? { credentials: deps.credentials() } : {}),
      ...(fetch ? { fetch } : {}),
    },
  );
  return {
    auth: settings.requestId ? withHeaders(auth, { 'x-request-id': settings.requestId }) : auth,
    ...(fetch ? { fetch } : {}),
    ...(settings.maxResponseBytes === undefined ? {} : { maxResponseBytes: settings.maxResponseBytes }),
    ...(settings.pageSize === undefined ? {} : { pageSize: settings.pageSize }),
    ...(settings.requestsPerSecond === undefined ? {} : { requestsPerSecond: settings.requestsPerSecond }),
  };
};
