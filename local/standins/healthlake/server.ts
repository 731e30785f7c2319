import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateResource } from '@medplum/core';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import {
  OperationOutcomeError,
  badRequest,
  forResponse,
  httpStatusOf,
  methodNotAllowed,
  notFound,
  notSupported,
  outcome,
  payloadTooLarge,
  serverError,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
} from '../../../shared/fhir/outcomes.js';
import { isFhirId } from '../../../shared/fhir/ids.js';
import type { FaultConfig, FaultKind } from './faults.js';
import { FaultInjector } from './faults.js';
import { FhirStore } from './fhirStore.js';
import type { KnownCredential, RawSignedRequest } from './sigv4Verifier.js';
import { SIGV4_FAILURES, verifySigV4 } from './sigv4Verifier.js';
import { StsStandin } from './sts.js';

/** How the FHIR endpoint authenticates callers. */
export type FhirStandinAuth = 'sigv4' | 'none' | { bearer: string };

export interface FhirStandinOptions {
  /** Default `sigv4` for HealthLake, `none` for a source server. */
  auth?: FhirStandinAuth;
  /** FHIR base path, with leading and trailing slash. Default `/datastore/{datastoreId}/r4/`. */
  basePath?: string;
  /** HealthLake data store id (32 hex characters by default, random). */
  datastoreId?: string;
  /** SigV4 signing region of the FHIR endpoint. Default `us-east-1`. */
  region?: string;
  /** Role AssumeRole accepts. Default `arn:aws:iam::111122223333:role/HealthLakeConnectorAccess`. */
  roleArn?: string;
  /** ExternalId AssumeRole requires. Default a random string; `null` = no ExternalId required. */
  externalId?: string | null;
  /** Long-term credentials allowed to call AssumeRole (and, see below, the FHIR API). Default: one random pair. */
  baseCredentials?: KnownCredential[];
  /** Whether base credentials may also sign FHIR requests directly (same-account mode). Default true. */
  acceptBaseCredentials?: boolean;
  /** Actual lifetime of issued credentials in seconds (overrides DurationSeconds). */
  credentialLifetimeSeconds?: number;
  /** Resource types answered with 400 `not-supported`. Types unknown to R4 always are. */
  notSupportedTypes?: Iterable<string>;
  /** Initial fault settings; change at runtime through `standin.faults`. */
  faults?: Partial<FaultConfig>;
  /** Status of DELETE for a resource that does not exist (or is already deleted). Default 204. */
  deleteMissingStatus?: 204 | 404;
  /**
   * Validate PUT/POST bodies against the R4 structure definitions (Medplum `validateResource`), 400
   * with the validator's issues otherwise, as HealthLake does. Default false: it costs about 1 ms per
   * write, which would dominate delivery benchmarks.
   */
  validate?: boolean;
  /** Largest accepted request body in bytes. Default 5 MiB. */
  maxBodyBytes?: number;
  /** Store to serve (e.g. one already seeded); a new empty one by default. */
  store?: FhirStore;
  host?: string;
  port?: number;
}

/** One request the FHIR endpoint received, in arrival order. No resource content. */
export interface RecordedRequest {
  seq: number;
  time: string;
  method: string;
  /** Path relative to the FHIR base (`Patient/1`), or the raw path when outside the base. */
  path: string;
  query: string;
  resourceType: string | undefined;
  id: string | undefined;
  /** `meta.versionId` of the request body, when it had one. */
  versionId: string | undefined;
  /** Entries of a transaction Bundle POSTed to the base; undefined for other requests. */
  bundleEntries: number | undefined;
  /** Status answered; 0 while pending or when the request was left hanging (timeout fault). */
  status: number;
  fault: FaultKind | undefined;
  accessKeyId: string | undefined;
  durationMs: number;
}

export interface FhirStandin {
  /** Absolute FHIR base URL with trailing slash, e.g. `http://127.0.0.1:1234/datastore/abc/r4/`. */
  readonly endpoint: string;
  /** STS Query endpoint for `@aws-sdk/client-sts` (`endpoint` option / AWS_ENDPOINT_URL_STS). */
  readonly stsEndpoint: string;
  readonly datastoreId: string;
  readonly region: string;
  readonly roleArn: string;
  readonly externalId: string | undefined;
  readonly baseCredentials: KnownCredential;
  readonly store: FhirStore;
  readonly sts: StsStandin;
  readonly faults: FaultInjector;
  readonly requests: RecordedRequest[];
  /** Resource types answered with `not-supported`; mutable at runtime. */
  readonly notSupportedTypes: Set<string>;
  current<T = Resource>(resourceType: string, id: string): T | undefined;
  count(resourceType?: string): number;
  /** Waits until `predicate` holds over the recorded requests (polling, no fixed sleep). */
  waitForRequests(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const FHIR_JSON = 'application/fhir+json;charset=utf-8';
/** HealthLake's limit of entries per batch or transaction Bundle (endpoints-and-quotas page). */
export const MAX_BUNDLE_ENTRIES = 160;
const ENTRY_URL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const DEFAULT_ROLE = 'arn:aws:iam::111122223333:role/HealthLakeConnectorAccess';

/** An outcome to answer with, plus the AWS error type header (`x-amzn-ErrorType`) and extra headers. */
class HttpError extends Error {
  public constructor(
    public readonly outcomeValue: OperationOutcome,
    public readonly errorType?: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(outcomeValue.issue?.[0]?.diagnostics ?? 'error');
    this.name = 'HttpError';
  }
}

const readBody = (request: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () =>
      size > limit
        ? reject(new HttpError(payloadTooLarge('Request body too large')))
        : resolve(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });

/** Decoded query parameters, repeated ones in order; `+` stays `+` (SigV4 clients encode spaces as %20). */
const decodeQuery = (rawQuery: string): Record<string, string[]> => {
  const query: Record<string, string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    try {
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      (query[key] ??= []).push(value);
    } catch {
      throw new HttpError(badRequest('Malformed query string'));
    }
  }
  return query;
};

const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The JSON body parsed once (undefined when empty or not JSON); `parseJson` answers 400 for the latter. */
const tryParseJson = (body: Buffer): { value: unknown } | undefined => {
  if (body.length === 0) return undefined;
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return undefined;
  }
};

const parseJson = (parsed: { value: unknown } | undefined): unknown => {
  if (!parsed) throw new HttpError(badRequest('Request body is not valid JSON'));
  return parsed.value;
};

const bodyVersionId = (parsed: { value: unknown } | undefined): string | undefined => {
  const meta = (parsed?.value as { meta?: { versionId?: unknown } } | null | undefined)?.meta;
  return typeof meta?.versionId === 'string' ? meta.versionId : undefined;
};

/**
 * Starts a FHIR R4 server stand-in: HealthLake (SigV4, STS AssumeRole, `not-supported`, fault injection)
 * or, with `auth: 'none' | {bearer}` and another `basePath`, a plain source FHIR server.
 */
export const startFhirStandin = async (options: FhirStandinOptions = {}): Promise<FhirStandin> => {
  const datastoreId = options.datastoreId ?? randomBytes(16).toString('hex');
  const basePath = options.basePath ?? `/datastore/${datastoreId}/r4/`;
  if (!basePath.startsWith('/') || !basePath.endsWith('/'))
    throw new Error('basePath must start and end with /');
  const auth = options.auth ?? 'sigv4';
  const region = options.region ?? 'us-east-1';
  const roleArn = options.roleArn ?? DEFAULT_ROLE;
  const externalId =
    options.externalId === null ? undefined : (options.externalId ?? randomBytes(12).toString('hex'));
  const baseCredentials = options.baseCredentials ?? [
    {
      accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
    },
  ];
  const primaryBase = baseCredentials[0];
  if (!primaryBase) throw new Error('baseCredentials must not be empty');
  const acceptBase = options.acceptBaseCredentials ?? true;
  const deleteMissingStatus = options.deleteMissingStatus ?? 204;
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const store = options.store ?? new FhirStore();
  const faults = new FaultInjector(options.faults);
  const notSupportedTypes = new Set(options.notSupportedTypes ?? []);
  const sts = new StsStandin({
    roleArn,
    externalId,
    baseCredentials,
    credentialLifetimeSeconds: options.credentialLifetimeSeconds,
  });
  const requests: RecordedRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  let endpoint = '';

  const send = (
    response: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
    contentType = FHIR_JSON,
  ) => {
    if (response.headersSent || response.destroyed) return;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      ...headers,
      ...(payload === undefined
        ? {}
        : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
    });
    response.end(payload);
  };

  const sendOutcome = (
    response: ServerResponse,
    value: OperationOutcome,
    errorType?: string,
    headers: Record<string, string> = {},
  ) =>
    send(response, httpStatusOf(value), forResponse(value), {
      ...headers,
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  const authenticate = async (raw: RawSignedRequest): Promise<string | undefined> => {
    if (auth === 'none') return undefined;
    if (auth !== 'sigv4') {
      const header = raw.headers.authorization ?? '';
      if (!header.startsWith('Bearer ') || !safeEqual(header.slice(7), auth.bearer)) {
        throw new HttpError(unauthorized('A valid bearer token is required'));
      }
      return undefined;
    }
    const result = await verifySigV4(raw, {
      service: 'healthlake',
      region,
      lookup: (accessKeyId) =>
        sts.issuedCredential(accessKeyId) ?? (acceptBase ? sts.baseCredential(accessKeyId) : undefined),
    });
    if (!result.ok) {
      throw new HttpError(
        outcome('forbidden', result.message, { status: 403, severity: 'error' }),
        SIGV4_FAILURES[result.failure],
      );
    }
    return result.credential.accessKeyId;
  };

  const validate = (resource: Resource) => {
    if (!options.validate) return;
    try {
      // Medplum's 1 MiB base64Binary default is the library's, not FHIR's nor HealthLake's.
      validateResource(resource, { base64BinaryMaxBytes: Number.MAX_SAFE_INTEGER });
    } catch (error) {
      const issues = (error as { outcome?: OperationOutcome }).outcome?.issue;
      throw new HttpError(
        issues
          ? { resourceType: 'OperationOutcome', id: '400', issue: issues }
          : badRequest('Invalid resource'),
        'ValidationException',
      );
    }
  };

  const bundleOf = (type: Bundle['type'], entry: BundleEntry[], extra: Partial<Bundle> = {}): Bundle => ({
    resourceType: 'Bundle',
    type,
    ...extra,
    ...(entry.length > 0 ? { entry } : {}),
  });

  const resourceHeaders = (resource: Resource): Record<string, string> => {
    const versionId = resource.meta?.versionId ?? '';
    return {
      etag: `W/"${versionId}"`,
      'last-modified': new Date(resource.meta?.lastUpdated ?? Date.now()).toUTCString(),
      location: `${endpoint}${resource.resourceType}/${resource.id}/_history/${versionId}`,
    };
  };

  /** Dispatches an authenticated, fault-free FHIR request; returns status + body + headers. */
  const dispatch = (
    method: string,
    segments: string[],
    query: Record<string, string[]>,
    rawQuery: string,
    body: Buffer,
    parsedBody: { value: unknown } | undefined,
  ): { status: number; body?: unknown; headers?: Record<string, string> } => {
    const [type, id, history, versionId, ...rest] = segments;
    if (type === 'metadata' && segments.length === 1 && method === 'GET') {
      return { status: 200, body: capabilityStatement(store.resourceTypes(), notSupportedTypes) };
    }
    if (type === undefined && method === 'POST') return transaction(parseJson(parsedBody));
    if (type === undefined) throw new HttpError(notFound('No route'));
    if (rest.length > 0) throw new HttpError(notFound('No route'));
    if (id !== undefined && id !== '_search' && !isFhirId(id)) throw new HttpError(badRequest('Invalid id'));

    if (id === undefined || id === '_search') {
      if (method === 'GET' || (method === 'POST' && id === '_search')) {
        const params =
          method === 'POST'
            ? { ...query, ...decodeQuery(body.toString('utf8').replace(/\+/g, '%20')) }
            : query;
        return { status: 200, body: searchBundle(type, params, rawQuery) };
      }
      if (method === 'POST' && id === undefined) {
        const resource = parseJson(parsedBody) as Resource;
        if (resource?.resourceType !== type)
          throw new HttpError(badRequest('Resource type does not match the URL'));
        const stored = store.create(resource);
        return { status: 201, body: stored, headers: resourceHeaders(stored) };
      }
      throw new HttpError(methodNotAllowed(`${method} is not allowed on the type endpoint`));
    }

    if (history === undefined) {
      if (method === 'GET') {
        const resource = store.read(type, id);
        return { status: 200, body: resource, headers: resourceHeaders(resource) };
      }
      if (method === 'PUT') {
        const resource = parseJson(parsedBody) as Resource;
        if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
          throw new HttpError(badRequest('Request body must be a FHIR resource'));
        }
        if (resource.resourceType !== type)
          throw new HttpError(badRequest('Resource type does not match the URL'));
        if (resource.id !== id) throw new HttpError(badRequest('Resource id does not match the URL', 'id'));
        validate(resource);
        const { created, resource: stored } = store.put({ ...resource, id });
        return { status: created ? 201 : 200, body: stored, headers: resourceHeaders(stored) };
      }
      if (method === 'DELETE') {
        const deleted = store.delete(type, id);
        if (!deleted && deleteMissingStatus === 404)
          throw new HttpError(notFound(`Resource ${type}/${id} is not known`));
        return { status: 204 };
      }
      throw new HttpError(methodNotAllowed(`${method} is not allowed on a resource`));
    }

    if (history !== '_history' || method !== 'GET') throw new HttpError(notFound('No route'));
    if (versionId !== undefined) {
      const resource = store.vread(type, id, versionId);
      return { status: 200, body: resource, headers: resourceHeaders(resource) };
    }
    const versions = store.history(type, id);
    return {
      status: 200,
      body: bundleOf(
        'history',
        versions.map((version) => ({
          fullUrl: `${endpoint}${type}/${id}`,
          ...(version.resource ? { resource: version.resource } : {}),
          request: { method: version.resource ? 'PUT' : 'DELETE', url: `${type}/${id}` },
          response: {
            status: version.resource ? '200' : '204',
            etag: `W/"${version.versionId}"`,
            lastModified: version.lastUpdated,
          },
        })),
        { total: versions.length },
      ),
    };
  };

  /**
   * A transaction Bundle POSTed to the base: every entry checked first (at most 160 entries, PUT or
   * DELETE of `Type/id`, supported types, valid resources), then all applied; one failure = none applied.
   */
  const transaction = (body: unknown): { status: number; body: Bundle } => {
    const bundle = body as Bundle | null;
    if (typeof bundle !== 'object' || bundle === null || bundle.resourceType !== 'Bundle') {
      throw new HttpError(badRequest('Request body must be a Bundle'));
    }
    if (bundle.type !== 'transaction') {
      throw new HttpError(notSupported('Only transaction Bundles are accepted at the base', 'Bundle.type'));
    }
    const entries = bundle.entry ?? [];
    if (entries.length > MAX_BUNDLE_ENTRIES) {
      throw new HttpError(
        badRequest(
          `Bundle has ${entries.length} entries; at most ${MAX_BUNDLE_ENTRIES} are allowed`,
          'Bundle.entry',
        ),
        'ValidationException',
      );
    }
    const planned = entries.map((entry, index) => {
      const at = `Bundle.entry[${index}]`;
      const method = entry.request?.method;
      const match = ENTRY_URL.exec(entry.request?.url ?? '');
      if (!match || (method !== 'PUT' && method !== 'DELETE')) {
        throw new HttpError(badRequest('Each entry must PUT or DELETE Type/id', `${at}.request`));
      }
      const [, type = '', id = ''] = match;
      if (notSupportedTypes.has(type) || !FhirStore.isResourceType(type)) {
        throw new HttpError(notSupported(`ResourceType ${type} is not supported.`, `${at}.request.url`));
      }
      const resource = entry.resource;
      if (method === 'PUT') {
        if (resource?.resourceType !== type || resource.id !== id) {
          throw new HttpError(badRequest('Entry resource does not match its request url', `${at}.resource`));
        }
        validate(resource);
      }
      return { method, type, id, resource };
    });
    const responses: BundleEntry[] = planned.map(({ method, type, id, resource }) => {
      if (method === 'DELETE') {
        store.delete(type, id);
        return { response: { status: '204' } };
      }
      const { created, resource: stored } = store.put({ ...(resource as Resource), id });
      return {
        response: {
          status: created ? '201' : '200',
          location: `${type}/${id}/_history/${stored.meta?.versionId ?? ''}`,
          etag: `W/"${stored.meta?.versionId ?? ''}"`,
          lastModified: stored.meta?.lastUpdated,
        },
      };
    });
    return { status: 200, body: bundleOf('transaction-response', responses) };
  };

  const searchBundle = (type: string, query: Record<string, string[]>, rawQuery: string): Bundle => {
    const page = store.search(type, query);
    // The next link keeps the caller's parameters as sent and replaces only the paging ones.
    const kept = rawQuery
      .split('&')
      .filter((part) => part !== '' && !/^_(cursor|offset)=/.test(part))
      .join('&');
    const link: Bundle['link'] = [
      { relation: 'self', url: `${endpoint}${type}${rawQuery ? `?${rawQuery}` : ''}` },
    ];
    if (page.next) {
      const paging = 'cursor' in page.next ? `_cursor=${page.next.cursor}` : `_offset=${page.next.offset}`;
      link.push({ relation: 'next', url: `${endpoint}${type}?${kept ? `${kept}&` : ''}${paging}` });
    }
    return bundleOf(
      'searchset',
      [
        ...page.resources.map((resource) => ({
          fullUrl: `${endpoint}${type}/${resource.id}`,
          resource,
          search: { mode: 'match' as const },
        })),
        ...(page.included ?? []).map((resource) => ({
          fullUrl: `${endpoint}${resource.resourceType}/${resource.id}`,
          resource,
          search: { mode: 'include' as const },
        })),
      ],
      { ...(page.total === undefined ? {} : { total: page.total }), link },
    );
  };

  const retryAfter = (): Record<string, string> => {
    const seconds = faults.settings.retryAfterSeconds;
    return seconds === undefined ? {} : { 'retry-after': String(seconds) };
  };

  const handleFhir = async (
    response: ServerResponse,
    record: RecordedRequest,
    raw: RawSignedRequest,
    relative: string,
    parsedBody: { value: unknown } | undefined,
  ) => {
    record.accessKeyId = await authenticate(raw);
    const segments = relative === '' ? [] : relative.replace(/\/$/, '').split('/').map(decodeURIComponent);
    record.path = segments.join('/');
    record.resourceType = segments[0];
    record.id = segments[1] === '_search' ? undefined : segments[1];

    const decision = faults.decide({
      method: raw.method,
      resourceType: record.resourceType,
      id: record.id,
      url: raw.path + (raw.rawQuery ? `?${raw.rawQuery}` : ''),
      target: 'fhir',
    });
    record.fault = decision.fault;
    // A timeout fault accepts the request and never answers; stop() drops the socket.
    if (decision.fault === 'timeout') return;
    if (decision.delayMs > 0) await delay(decision.delayMs);
    if (decision.fault === 'throttle') {
      throw new HttpError(
        tooManyRequests('ThrottlingException: Rate exceeded'),
        'ThrottlingException',
        retryAfter(),
      );
    }
    if (decision.fault === 'server-error') {
      throw new HttpError(serverError('InternalServerException'), 'InternalServerException');
    }
    if (decision.fault === 'invalid') {
      throw new HttpError(badRequest('Injected validation failure'), 'ValidationException');
    }
    if (decision.fault === 'unavailable') {
      throw new HttpError(
        serviceUnavailable('ServiceUnavailableException'),
        'ServiceUnavailableException',
        retryAfter(),
      );
    }

    const type = record.resourceType;
    if (type !== undefined && type !== 'metadata') {
      if (notSupportedTypes.has(type) || !FhirStore.isResourceType(type)) {
        throw new HttpError(notSupported(`ResourceType ${type} is not supported.`));
      }
    }
    const query = decodeQuery(raw.rawQuery);
    const result = dispatch(raw.method, segments, query, raw.rawQuery, raw.body, parsedBody);
    record.status = result.status;
    send(response, result.status, result.body, result.headers);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    const url = request.url ?? '/';
    const queryIndex = url.indexOf('?');
    const path = queryIndex < 0 ? url : url.slice(0, queryIndex);
    const rawQuery = queryIndex < 0 ? '' : url.slice(queryIndex + 1);
    const method = (request.method ?? 'GET').toUpperCase();

    if (path === '/sts' || path === '/sts/') {
      try {
        const body = await readBody(request, 64 * 1024);
        const decision = faults.decide({ method, url, target: 'sts' });
        if (decision.fault === 'timeout') return;
        if (decision.delayMs > 0) await delay(decision.delayMs);
        if (
          decision.fault === 'throttle' ||
          decision.fault === 'server-error' ||
          decision.fault === 'unavailable'
        ) {
          const code = decision.fault === 'throttle' ? 'Throttling' : 'ServiceUnavailable';
          send(
            response,
            decision.fault === 'throttle' ? 400 : 503,
            `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>Injected fault</Message></Error></ErrorResponse>`,
            {},
            'text/xml',
          );
          return;
        }
        const result = await sts.handle({ method, path, rawQuery, headers: request.headers, body });
        send(response, result.status, result.body, {}, result.contentType);
      } catch {
        send(
          response,
          500,
          '<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>',
          {},
          'text/xml',
        );
      }
      return;
    }

    const record: RecordedRequest = {
      seq: requests.length + 1,
      time: new Date(started).toISOString(),
      method,
      path,
      query: rawQuery,
      resourceType: undefined,
      id: undefined,
      versionId: undefined,
      bundleEntries: undefined,
      status: 0,
      fault: undefined,
      accessKeyId: undefined,
      durationMs: 0,
    };
    requests.push(record);
    try {
      const body = await readBody(request, maxBodyBytes);
      const parsedBody = tryParseJson(body);
      record.versionId = bodyVersionId(parsedBody);
      const posted = parsedBody?.value as { resourceType?: unknown; entry?: unknown } | undefined;
      if (method === 'POST' && posted?.resourceType === 'Bundle') {
        record.bundleEntries = Array.isArray(posted.entry) ? posted.entry.length : 0;
      }
      const fhirPath = `${path}/` === basePath ? basePath : path;
      if (!fhirPath.startsWith(basePath)) throw new HttpError(notFound('No route'));
      const raw: RawSignedRequest = { method, path, rawQuery, headers: request.headers, body };
      await handleFhir(response, record, raw, fhirPath.slice(basePath.length), parsedBody);
    } catch (error) {
      const value =
        error instanceof HttpError
          ? error.outcomeValue
          : error instanceof OperationOutcomeError
            ? error.outcome
            : serverError();
      record.status = httpStatusOf(value);
      sendOutcome(
        response,
        value,
        error instanceof HttpError ? error.errorType : undefined,
        error instanceof HttpError ? error.headers : {},
      );
    } finally {
      record.durationMs = Date.now() - started;
    }
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  endpoint = `${origin}${basePath}`;

  return {
    endpoint,
    stsEndpoint: `${origin}/sts`,
    datastoreId,
    region,
    roleArn,
    externalId,
    baseCredentials: primaryBase,
    store,
    sts,
    faults,
    requests,
    notSupportedTypes,
    current: (resourceType, id) => store.current(resourceType, id),
    count: (resourceType) => store.count(resourceType),
    waitForRequests: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error('Timed out waiting for the expected requests');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    stop: async () => {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
};

/**
 * The resource types the stand-in holds (so a `[*]` backfill or reconcile reads only those), except
 * those configured as not supported, with their interactions.
 */
const capabilityStatement = (types: readonly string[], notSupported: ReadonlySet<string>) => ({
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-01-01',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
  rest: [
    {
      mode: 'server',
      resource: [...types]
        .filter((type) => !notSupported.has(type))
        .sort()
        .map((type) => ({
          type,
          interaction: ['read', 'vread', 'update', 'delete', 'search-type'].map((code) => ({ code })),
        })),
    },
  ],
});
