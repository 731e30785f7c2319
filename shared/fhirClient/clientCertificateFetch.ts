import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';

/** A client certificate for mutual TLS, and/or the CA bundle the server's certificate must chain to. */
export interface ClientCertificate {
  /** PEM certificate (chain) the client presents. */
  readonly cert?: string;
  /** PEM private key of `cert`. */
  readonly key?: string;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** PEM CA bundle that replaces the public roots for this server (a private CA). */
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
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
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
