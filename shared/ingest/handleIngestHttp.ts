import { randomUUID } from 'node:crypto';
import { jsonShapeProblem } from '../fhir/jsonDepth.js';
import { badRequest, methodNotAllowed, payloadTooLarge, unsupportedMediaType } from '../fhir/outcomes.js';
import type { FhirRequest, FhirResponse, FhirRouteHandler } from '../http/types.js';
import type { Authenticator } from './auth/types.js';
import { INGEST_DEFAULTS } from './constants.js';
import type { IngestLogger } from './IngestLogger.js';
import { SILENT_LOGGER } from './IngestLogger.js';
import { outcomeResponse } from './routes/responses.js';
import { CONFIG_KEYS, configKeyNote } from '../config/configKeys.js';

/** An HTTP request as the transport delivered it: body still a string, caller not yet authenticated. */
export interface RawIngestRequest {
  readonly method: string;
  /** Path relative to the FHIR base, e.g. `Patient/1`. */
  readonly path: string;
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text (already base64-decoded), when there was one. */
  readonly body?: string;
  readonly requestId?: string;
  readonly baseUrl: string;
  readonly identity?: { readonly userArn?: string | null; readonly caller?: string | null };
}

export interface IngestHttpOptions {
  readonly route: FhirRouteHandler;
  readonly authenticator: Authenticator;
  /** @default 5 MiB */
  readonly maxBodyBytes?: number;
  /** Deepest nesting of objects and arrays accepted in a body. @default 100 */
  readonly maxJsonDepth?: number;
  readonly logger?: IngestLogger;
  /** Called for each request refused before routing (authentication, content type, size, JSON). */
  readonly onRejected?: () => void;
}

const METHODS = new Set<FhirRequest['method']>(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
const JSON_TYPES = /^application\/(fhir\+json|json)\s*(;|$)/i;

/**
 * Authenticates a raw request, checks and parses its body (content type 415, size 413, JSON and
 * nesting depth 400)
 * and hands a `FhirRequest` to the router. Shared by the Lambda handler and tests.
 *
 * @example
 * const http = createIngestHttp({ route: createIngestRouter({ pipeline }), authenticator });
 * const response = await http({ method: 'PUT', path: 'Patient/1', query: {}, headers, body, baseUrl });
 */
export const createIngestHttp = (options: IngestHttpOptions) => {
  const maxBodyBytes = options.maxBodyBytes ?? INGEST_DEFAULTS.maxBodyBytes;
  const maxJsonDepth = options.maxJsonDepth ?? INGEST_DEFAULTS.maxJsonDepth;
  const logger = options.logger ?? SILENT_LOGGER;
  const reject = (response: FhirResponse, reason: string, requestId: string): FhirResponse => {
    options.onRejected?.();
    logger.info('Request rejected', { requestId, reason, status: response.status });
    return response;
  };
  return async (raw: RawIngestRequest): Promise<FhirResponse> => {
    const requestId = raw.requestId ?? randomUUID();
    const method = raw.method.toUpperCase() as FhirRequest['method'];
    if (!METHODS.has(method)) {
      return reject(
        outcomeResponse(methodNotAllowed(`HTTP method ${method} is not supported`)),
        'method',
        requestId,
      );
    }
    const auth = await options.authenticator.authenticate({
      headers: raw.headers,
      ...(raw.identity ? { identity: raw.identity } : {}),
    });
    if (!auth.ok) {
      return reject(
        outcomeResponse(auth.outcome, auth.challenge ? { 'www-authenticate': auth.challenge } : {}),
        'authentication',
        requestId,
      );
    }
    let body: unknown;
    const text = raw.body ?? '';
    if (text.length > 0 && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > maxBodyBytes) {
        return reject(
          outcomeResponse(
            payloadTooLarge(
              `The request body is ${bytes} bytes; the ingest API accepts at most ${maxBodyBytes} bytes ${configKeyNote(CONFIG_KEYS.maxRequestBytes)}. Split large transactions into smaller Bundles.`,
            ),
          ),
          'size',
          requestId,
        );
      }
      const contentType = raw.headers['content-type'] ?? '';
      if (!JSON_TYPES.test(contentType)) {
        return reject(
          outcomeResponse(
            unsupportedMediaType(
              'Content-Type must be application/fhir+json (or application/json); only JSON is supported',
            ),
          ),
          'content-type',
          requestId,
        );
      }
      try {
        body = JSON.parse(text);
      } catch {
        return reject(outcomeResponse(badRequest('The request body is not valid JSON')), 'json', requestId);
      }
      const problem = jsonShapeProblem(body, maxJsonDepth);
      if (problem) {
        const diagnostics =
          problem.kind === 'too-deep'
            ? `The request body nests objects and arrays more than ${maxJsonDepth} levels deep ${configKeyNote(CONFIG_KEYS.maxJsonDepth)}`
            : `The request body has a ${problem.key} key, which no FHIR element has`;
        return reject(outcomeResponse(badRequest(diagnostics)), problem.kind, requestId);
      }
    }
    const request: FhirRequest = {
      method,
      path: raw.path.replace(/^\/+/, ''),
      query: raw.query,
      headers: raw.headers,
      ...(body === undefined ? {} : { body }),
      requestId,
      baseUrl: raw.baseUrl.replace(/\/+$/, ''),
      caller: { principal: auth.principal, scope: auth.scope },
    };
    const response = await options.route(request);
    logger.info('Request handled', {
      requestId,
      method,
      status: response.status,
      principal: auth.principal,
      scope: auth.scope,
    });
    return response;
  };
};

export type IngestHttp = ReturnType<typeof createIngestHttp>;
