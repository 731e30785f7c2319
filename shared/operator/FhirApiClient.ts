import type { SourceAuth } from '../fhirClient/SourceAuth.js';
import { bearerAuth, noAuth } from '../fhirClient/SourceAuth.js';
import { RequestFailedError } from './describeRequestError.js';

/**
 * A small FHIR REST client for the connector's ingest API (bearer token or SigV4), used by the operator
 * CLI. It returns status, headers and parsed body; it never throws for an HTTP error status. It calls
 * only the API's own origin, under its base path: anything else is refused before a request is made.
 */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body?: unknown;
}

export interface FhirApiClientOptions {
  /** FHIR base URL of the ingest API, e.g. `http://127.0.0.1:8080` or the API Gateway stage URL. */
  readonly baseUrl: string;
  /** Bearer token (`bearer` mode); ignored when `auth` is given. */
  readonly token?: string;
  /** How requests are authenticated: `sigV4Auth({ service: 'execute-api', ... })` in IAM mode. */
  readonly auth?: SourceAuth;
  /** Headers sent with every request (`x-request-id`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout, ms (default 60 s). */
  readonly timeoutMs?: number;
}

/** A path or URL the client refused because it would leave the API's origin or base path. */
export class UnsafeApiPathError extends Error {
  public constructor(reason: string) {
    super(`Refusing a request outside the ingest API (${reason}); the API's credentials go to it alone`);
    this.name = 'UnsafeApiPathError';
  }
}

/** A scheme (`http:`, `javascript:`) or a scheme-relative `//host`: an absolute reference. */
const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|[\\/]{2})/i;
/** Whitespace, controls and backslashes, which URL parsers drop or turn into `/`. */
const hasUnsafeCharacter = (path: string): boolean =>
  [...path].some((character) => character <= ' ' || character === '\u007f' || character === '\\');
/** Encoded `/`, `\`, `.` and NUL in a path: a server may decode them into a path of its own choosing. */
const ENCODED_SEPARATOR = /%(?:2f|5c|2e|00)/i;

export class FhirApiClient {
  public readonly baseUrl: string;
  private readonly base: URL;
  private readonly auth: SourceAuth;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;

  public constructor(options: FhirApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    let base: URL;
    try {
      base = new URL(`${this.baseUrl}/`);
    } catch {
      throw new Error('The ingest API URL is not a valid URL');
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new Error('The ingest API URL must be http(s)');
    }
    this.base = base;
    this.auth = options.auth ?? (options.token ? bearerAuth(options.token) : noAuth());
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * Resolves `path` (relative to the base, or absolute as in Content-Location) to a URL on the API's
   * origin and under its base path. Throws UnsafeApiPathError for another origin (`http://...`,
   * `//host`), embedded credentials, `.`/`..` segments, encoded separators or control characters.
   */
  public url(path: string): string {
    if (hasUnsafeCharacter(path)) throw new UnsafeApiPathError('whitespace or a backslash');
    const absolute = ABSOLUTE.test(path);
    const relative = absolute ? this.pathOnBase(path) : path.replace(/^\/+/, '');
    const pathPart = relative.split(/[?#]/, 1)[0] ?? '';
    if (ENCODED_SEPARATOR.test(pathPart)) throw new UnsafeApiPathError('an encoded separator');
    if (pathPart.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw new UnsafeApiPathError('a dot segment');
    }
    const resolved = new URL(relative, this.base);
    if (!this.isOnBase(resolved)) throw new UnsafeApiPathError('another origin or path');
    return resolved.href;
  }

  public async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const url = new URL(this.url(path));
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...this.headers,
      accept: 'application/fhir+json',
      ...(text === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...(await this.auth.headers({ method, url, ...(text === undefined ? {} : { body: text }) })),
    };
    let response: Response;
    let answer: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(text === undefined ? {} : { body: text }),
        // A redirect would carry the credentials and the resource elsewhere: it is answered, never followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      answer = await response.text();
    } catch (error) {
      // "fetch failed" says nothing: name the origin and the cause (refused, DNS, TLS, timeout).
      throw new RequestFailedError(error, url.href);
    }
    let parsed: unknown;
    if (answer !== '') {
      try {
        parsed = JSON.parse(answer);
      } catch {
        parsed = answer;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** The part of an absolute URL below the base, when it is on the base; else refused. */
  private pathOnBase(path: string): string {
    let url: URL;
    try {
      url = new URL(path);
    } catch {
      throw new UnsafeApiPathError('an invalid URL');
    }
    if (!this.isOnBase(url)) throw new UnsafeApiPathError('another origin or path');
    // The raw text after the base, so the checks below see the path as it was written.
    const prefix = this.base.href;
    return path.startsWith(prefix)
      ? path.slice(prefix.length)
      : `${url.pathname.slice(this.base.pathname.length)}${url.search}`;
  }

  private isOnBase(url: URL): boolean {
    return (
      url.origin === this.base.origin &&
      url.username === '' &&
      url.password === '' &&
      url.pathname.startsWith(this.base.pathname)
    );
  }
}

/** The diagnostics of an OperationOutcome body (joined), for error lines that carry no content. */
export const outcomeDiagnostics = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const resource = body as { resourceType?: string; issue?: { code?: string; diagnostics?: string }[] };
  if (resource.resourceType !== 'OperationOutcome' || !Array.isArray(resource.issue)) return undefined;
  return resource.issue
    .map((issue) => [issue.code, issue.diagnostics].filter(Boolean).join(': '))
    .filter((text) => text !== '')
    .join('; ');
};
