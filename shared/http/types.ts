import type { TokenScope } from './scopes.js';

/**
 * A FHIR REST request after the transport (API Gateway event, local HTTP adapter) has been
 * adapted and authenticated, and its body parsed. Route handlers are plain functions
 * `(FhirRequest) => Promise<FhirResponse>` so they run the same in Lambda, local mode and tests.
 */
export interface FhirRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
  /** Path relative to the FHIR base, without leading slash: `Patient/1`, `Subscription/x/$trigger-subscription`. */
  readonly path: string;
  /** Query parameters; repeated parameters keep every value in order. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, when there was one. */
  readonly body?: unknown;
  /** Correlates logs, messages and responses (API Gateway request id, or a generated one). */
  readonly requestId: string;
  /** Absolute base URL of the FHIR API, no trailing slash, for `Location` headers. */
  readonly baseUrl: string;
  /**
   * The authenticated caller and the scope it holds, set by authentication. The ingest router refuses
   * (403) every request whose route needs more, and every request without a caller (fail closed).
   */
  readonly caller?: { readonly principal: string; readonly scope: TokenScope };
}

export interface FhirResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A FHIR resource (JSON), or nothing (204). */
  readonly body?: unknown;
}

export type FhirRouteHandler = (request: FhirRequest) => Promise<FhirResponse>;

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
