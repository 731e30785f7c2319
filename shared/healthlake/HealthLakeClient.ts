import http from 'node:http';
import https from 'node:https';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialProvider } from './credentials.js';
import { CredentialsError, HealthLakeTransientError } from './errors.js';
import { NodeSha256 } from '../fhirClient/NodeSha256.js';
import type { HealthLakeApi, HealthLakeResponse, RequestOptions } from './types.js';

export interface HealthLakeClientOptions {
  /** Data store base URL, `https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/` (trailing `/`). */
  readonly endpoint: string;
  /**
   * Signing region of an endpoint whose host names none (a stand-in, loopback). A HealthLake host
   * (`healthlake.{region}.amazonaws.com`) is always signed with its own region, so data stores in
   * several regions each get theirs.
   */
  readonly region?: string;
  /** Where signing credentials come from (see credentials.ts); called once per request. */
  readonly credentials: CredentialProvider;
  /** Abort when no connection is established within this time. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Abort when the socket stays idle this long while waiting for the answer. @default 10_000 */
  readonly responseTimeoutMs?: number;
  /** Keep-alive sockets per host. @default 50 */
  readonly maxSockets?: number;
  /** A ready agent (shared between clients); overrides `maxSockets`. */
  readonly agent?: http.Agent;
}

/** The AWS region in a HealthLake endpoint host (`healthlake.{region}.amazonaws.com`), if any. */
export const regionOfEndpoint = (endpoint: string): string | undefined =>
  /^healthlake(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname)?.[1];

const MAX_ERROR_BODY_BYTES = 65_536;

/**
 * A minimal HealthLake FHIR data-plane client (PUT and DELETE of one resource, POST of a transaction
 * Bundle to the data store base): SigV4 (service `healthlake`) over keep-alive HTTP, with
 * connect and response timeouts. Answers with the status (and the OperationOutcome on errors); throws
 * `HealthLakeTransientError` only when no HTTP answer arrived.
 *
 * @example
 * const client = new HealthLakeClient({ endpoint, credentials: cache.providerFor(role) });
 * const { status } = await client.put('Patient', 'p1', JSON.stringify(patient));
 */
export class HealthLakeClient implements HealthLakeApi {
  private readonly basePath: string;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly signer: SignatureV4;
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;
  private readonly hostHeader: string;
  private readonly protocol: string;
  private readonly hostname: string;
  private readonly port: number | undefined;

  public constructor(options: HealthLakeClientOptions) {
    const base = new URL(options.endpoint);
    this.basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    const secure = base.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent =
      options.agent ??
      new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: options.maxSockets ?? 50 });
    const region = regionOfEndpoint(options.endpoint) ?? options.region;
    if (!region) throw new Error(`No signing region given and none in the endpoint host ${base.host}`);
    this.signer = new SignatureV4({
      service: 'healthlake',
      region,
      credentials: options.credentials,
      sha256: NodeSha256,
    });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
    this.hostHeader = base.host;
    this.protocol = base.protocol;
    this.hostname = base.hostname;
    this.port = base.port ? Number(base.port) : undefined;
  }

  public put(
    resourceType: string,
    id: string,
    body: string,
    options?: RequestOptions,
  ): Promise<HealthLakeResponse> {
    // Type and id were validated against the FHIR patterns, so they need no escaping.
    return this.send('PUT', `${resourceType}/${id}`, resourceType, body, options?.timeoutMs);
  }

  public delete(resourceType: string, id: string, options?: RequestOptions): Promise<HealthLakeResponse> {
    return this.send('DELETE', `${resourceType}/${id}`, resourceType, undefined, options?.timeoutMs);
  }

  public transaction(body: string, options?: RequestOptions): Promise<HealthLakeResponse> {
    return this.send('POST', '', 'Bundle', body, options?.timeoutMs);
  }

  /** Closes the keep-alive sockets. */
  public destroy(): void {
    this.agent.destroy();
  }

  /** `relative` is appended to the data store base; `resourceType` only names the request in errors. */
  private async send(
    method: 'PUT' | 'DELETE' | 'POST',
    relative: string,
    resourceType: string,
    body: string | undefined,
    timeoutMs: number | undefined,
  ): Promise<HealthLakeResponse> {
    const path = `${this.basePath}${relative}`;
    const headers: Record<string, string> = { host: this.hostHeader, accept: 'application/fhir+json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/fhir+json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    let signed;
    try {
      signed = await this.signer.sign({
        method,
        protocol: this.protocol,
        hostname: this.hostname,
        port: this.port,
        path,
        query: {},
        headers,
        body,
      });
    } catch (error) {
      // Signing fails only when the credentials cannot be had (STS refused or unreachable).
      throw new CredentialsError(`${method} ${resourceType}: no credentials to sign with`, { cause: error });
    }
    const started = performance.now();
    return new Promise<HealthLakeResponse>((resolve, reject) => {
      const request = this.transport.request({
        method,
        host: this.hostname,
        port: this.port,
        path,
        headers: signed.headers,
        agent: this.agent,
      });
      let connectTimer: NodeJS.Timeout | undefined;
      // The whole request, however slowly the answer trickles in, ends within the invocation's time.
      const deadlineTimer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                fail(
                  new HealthLakeTransientError('timeout', `${method} ${resourceType}: time limit reached`),
                ),
              timeoutMs,
            );
      const clearTimers = () => {
        clearTimeout(connectTimer);
        clearTimeout(deadlineTimer);
      };
      const fail = (error: HealthLakeTransientError) => {
        clearTimers();
        request.destroy();
        reject(error);
      };
      request.on('socket', (socket) => {
        // A reused keep-alive socket is already connected; only new ones get the connect timer.
        if (socket.connecting) {
          connectTimer = setTimeout(
            () =>
              fail(new HealthLakeTransientError('timeout', `${method} ${resourceType}: connect timed out`)),
            this.connectTimeoutMs,
          );
          socket.once('connect', () => clearTimeout(connectTimer));
        }
      });
      request.setTimeout(this.responseTimeoutMs, () =>
        fail(new HealthLakeTransientError('timeout', `${method} ${resourceType}: no answer in time`)),
      );
      request.on('error', (error) => {
        clearTimers();
        reject(
          error instanceof HealthLakeTransientError
            ? error
            : new HealthLakeTransientError('connection', `${method} ${resourceType}: ${error.message}`, {
                cause: error,
              }),
        );
      });
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        if (status < 400) {
          response.resume();
          response.on('end', () => {
            clearTimers();
            resolve({ status, latencyMs: performance.now() - started });
          });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ERROR_BODY_BYTES) chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimers();
          resolve(errorResponse(status, response.headers, chunks, performance.now() - started));
        });
      });
      request.end(body);
    });
  }
}

const errorResponse = (
  status: number,
  headers: http.IncomingHttpHeaders,
  chunks: Buffer[],
  latencyMs: number,
): HealthLakeResponse => {
  const rawType = headers['x-amzn-errortype'];
  const errorType = typeof rawType === 'string' ? rawType.split(':')[0] : undefined;
  const retryAfter = Number(headers['retry-after']);
  let outcome: OperationOutcome | undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if ((parsed as { resourceType?: unknown } | null)?.resourceType === 'OperationOutcome') {
      outcome = parsed as OperationOutcome;
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status alone decides.
  }
  return {
    status,
    latencyMs,
    ...(outcome ? { outcome } : {}),
    ...(errorType ? { errorType } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
};
