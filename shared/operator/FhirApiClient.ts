/**
 * A small FHIR REST client for the connector's ingest API (bearer token), used by the operator CLI.
 * It returns status, headers and parsed body; it never throws for an HTTP error status.
 */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body?: unknown;
}

export interface FhirApiClientOptions {
  /** FHIR base URL of the ingest API, e.g. `http://127.0.0.1:8080` or the API Gateway stage URL. */
  readonly baseUrl: string;
  readonly token?: string;
  /** Per-request timeout, ms (default 60 s). */
  readonly timeoutMs?: number;
}

export class FhirApiClient {
  public readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  public constructor(options: FhirApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Resolves `path` (relative to the base, or absolute as in Content-Location) to a URL. */
  public url(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${this.baseUrl}/${path.replace(/^\/+/, '')}`;
  }

  public async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/fhir+json';
    const response = await fetch(this.url(path), {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
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
