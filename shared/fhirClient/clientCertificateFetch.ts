import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { SourceConfigurationError } from './errors.js';

/** A client certificate for mutual TLS, and/or the CA bundle the server's certificate must chain to. */
export interface ClientCertificate {
  /** PEM certificate (chain) the client presents. */
  readonly cert?: string;
  /** PEM private key of `cert`. */
  readonly key?: string;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** PEM CA bundle trusted besides the public roots (a server certificate from a private CA). */
  readonly ca?: string;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Request headers from any `HeadersInit`, as node:http takes them. */
const headerObject = (init: RequestInit['headers']): Record<string, string> =>
  Object.fromEntries(new Headers(init ?? {}).entries());

/**
 * A `fetch` that presents a client certificate (mutual TLS) to https:// servers, for the source FHIR
 * server reads (FhirClient) and its OAuth2 token endpoint. Node's built-in fetch cannot take a client
 * certificate without undici's Agent, so this one speaks node:https with a keep-alive Agent and answers
 * a standard `Response` whose body streams (the response cap reads it as it arrives). It never follows
 * redirects, whatever `redirect` says: the caller sees the 3xx.
 *
 * @example
 * const source = new FhirClient({ baseUrl, fetch: clientCertificateFetch({ cert, key, ca }) });
 */
export const clientCertificateFetch = (tls: ClientCertificate): typeof fetch => {
  const agent = new Agent({
    keepAlive: true,
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    // Node's `ca` replaces the public roots; the bundle is added to them, so a token endpoint with a
    // public certificate still verifies.
    ...(tls.ca === undefined ? {} : { ca: [...rootCertificates, tls.ca] }),
  });
  const tlsFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input);
      if (url.protocol !== 'https:') {
        reject(new TypeError('Client-certificate TLS needs an https:// URL'));
        return;
      }
      const method = init.method ?? 'GET';
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      const headers = headerObject(init.headers);
      if (init.body instanceof URLSearchParams && headers['content-type'] === undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
      }
      const outgoing = request(
        url,
        { method, headers, agent, ...(init.signal ? { signal: init.signal } : {}) },
        (incoming) => {
          const status = incoming.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of [value ?? []].flat()) responseHeaders.append(name, item);
          }
          try {
            if (NULL_BODY_STATUSES.has(status) || method === 'HEAD') {
              incoming.resume();
              resolve(new Response(null, { status, headers: responseHeaders }));
            } else {
              const stream = Readable.toWeb(incoming) as ReadableStream<Uint8Array>;
              resolve(new Response(stream, { status, headers: responseHeaders }));
            }
          } catch (error) {
            incoming.destroy();
            reject(error); // a status outside 200-599
          }
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  return tlsFetch as typeof fetch;
};

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * Reads the source's TLS secret (`{"cert": PEM, "key": PEM, "ca"?: PEM, "passphrase"?}`; `cert` and
 * `key` together, or a `ca` alone for a server with a private CA). Never echoes the secret.
 *
 * @example
 * const tls = parseClientCertificateSecret(await getSecret(tlsSecretId));
 */
export const parseClientCertificateSecret = (raw: string): ClientCertificate => {
  let secret: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    secret = parsed as Record<string, unknown>;
  } catch {
    throw new SourceConfigurationError('Source FHIR TLS secret is not a JSON object');
  }
  const pem = (field: string): string | undefined => {
    const value = secret[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !PEM.test(value)) {
      throw new SourceConfigurationError(`Source FHIR TLS secret "${field}" is not PEM text`);
    }
    return value;
  };
  const cert = pem('cert');
  const key = pem('key');
  const ca = pem('ca');
  if ((cert === undefined) !== (key === undefined)) {
    throw new SourceConfigurationError('Source FHIR TLS secret needs both "cert" and "key" (or only "ca")');
  }
  if (cert === undefined && ca === undefined) {
    throw new SourceConfigurationError('Source FHIR TLS secret holds neither "cert" and "key" nor "ca"');
  }
  const passphrase = typeof secret.passphrase === 'string' ? secret.passphrase : undefined;
  return {
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(ca === undefined ? {} : { ca }),
    ...(passphrase === undefined ? {} : { passphrase }),
  };
};
