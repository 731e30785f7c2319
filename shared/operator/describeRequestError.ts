/** The origin of a URL (never its path or query, which may carry search parameters). */
export const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return 'the given URL';
  }
};

/** Node's network error codes, in words an operator acts on. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'host not found (DNS lookup failed, try again)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

/** The `code` of an error or of the first cause that has one (fetch wraps the socket error). */
const codeOf = (error: unknown): string | undefined => {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    // Happy eyeballs: an AggregateError of one failure per address.
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
};

/**
 * What a failed request means, as one sentence naming the origin: `connection refused at
 * http://127.0.0.1:8080`, a timeout, DNS or TLS failure, instead of fetch's bare "fetch failed".
 *
 * @example
 * describeRequestError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), 'http://127.0.0.1:8080/Subscription')
 * // 'http://127.0.0.1:8080: connection refused (nothing listens there)'
 */
export const describeRequestError = (error: unknown, url: string): string => {
  const where = originOf(url);
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `${where}: no answer in time (timed out)`;
  const code = codeOf(error);
  if (code !== undefined) return `${where}: ${NETWORK_CODES[code] ?? code}`;
  return `${where}: ${error instanceof Error ? error.message : String(error)}`;
};

/** A request that never got an HTTP answer; its message says why and where. */
export class RequestFailedError extends Error {
  public constructor(error: unknown, url: string) {
    super(describeRequestError(error, url), { cause: error });
    this.name = 'RequestFailedError';
  }
}
