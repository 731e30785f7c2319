import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import {
  OperationOutcomeError,
  badRequest,
  httpStatusOf,
  notFound,
  notSupported,
  outcome,
  serverError,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
} from '../../../shared/fhir/outcomes.js';
import type { FaultConfig, FaultKind } from './faults.js';
import { FaultInjector } from './faults.js';
import { createFhirRoutes } from './fhirRoutes.js';
import { FhirStore } from './fhirStore.js';
import type { KnownCredential, RawSignedRequest } from './sigv4Verifier.js';
import { SIGV4_FAILURES, verifySigV4 } from './sigv4Verifier.js';
import {
  bodyVersionId,
  decodeQuery,
  HttpError,
  readBody,
  safeEqual,
  send,
  sendOutcome,
  tryParseJson,
} from './standinHttp.js';
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
  /**
   * More data store ids served at `/datastore/{id}/r4/` beside the first (default base path only): each
   * has its own store and its own fault injection (`standin.datastore(id)`); auth and STS are shared, as
   * in one account.
   */
  additionalDatastoreIds?: readonly string[];
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
  /** Most entries a transaction Bundle may hold (HealthLake's quota). Default 160. */
  maxBundleEntries?: number;
  /**
   * Validate PUT/POST bodies against the R4 structure definitions (Medplum `validateResource`), 400
   * with the validator's issues otherwise, as HealthLake does. Default false: it costs about 1 ms per
   * write, which would dominate delivery benchmarks.
   */
  validate?: boolean;
  /** Largest accepted request body in bytes. Default 5 MiB. */
  maxBodyBytes?: number;
  /**
   * Requests kept in `requests` (the newest); a stand-in that runs for days forgets the older ones.
   * Default `DEFAULT_MAX_RECORDED_REQUESTS` (100,000: about 25 MiB).
   */
  maxRecordedRequests?: number;
  /** Store to serve (e.g. one already seeded); a new empty one by default. */
  store?: FhirStore;
  host?: string;
  port?: number;
}

/** Requests a stand-in keeps in `requests` when not configured. */
export const DEFAULT_MAX_RECORDED_REQUESTS = 100_000;

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
  /** The data store addressed (the first one for a custom base path); undefined outside every base. */
  datastoreId: string | undefined;
}

/** One data store of a stand-in: its base URL, resources and fault injection. */
export interface FhirStandinDatastore {
  readonly datastoreId: string;
  readonly endpoint: string;
  readonly store: FhirStore;
  readonly faults: FaultInjector;
  current<T = Resource>(resourceType: string, id: string): T | undefined;
  count(resourceType?: string): number;
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
  /** The newest requests received (`maxRecordedRequests`, up to a tenth more between trims), oldest first. */
  readonly requests: RecordedRequest[];
  /** Resource types answered with `not-supported`; mutable at runtime. */
  readonly notSupportedTypes: Set<string>;
  /** Every data store served (the first is this stand-in's own `endpoint`, `store` and `faults`). */
  readonly datastores: ReadonlyMap<string, FhirStandinDatastore>;
  /** The data store `id`; throws for one not served. */
  datastore(id: string): FhirStandinDatastore;
  current<T = Resource>(resourceType: string, id: string): T | undefined;
  count(resourceType?: string): number;
  /** Waits until `predicate` holds over the recorded requests (polling, no fixed sleep). */
  waitForRequests(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_ROLE = 'arn:aws:iam::111122223333:role/HealthLakeConnectorAccess';

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
  const maxRecorded = Math.max(1, options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS);
  const trimSlack = Math.ceil(maxRecorded / 10);
  let received = 0;
  const pendingTimers = new Set<NodeJS.Timeout>();
  let origin = '';
  const DATASTORE_ID = /^[A-Za-z0-9_-]{1,64}$/;
  const extraIds = options.additionalDatastoreIds ?? [];
  if (extraIds.length > 0 && options.basePath !== undefined) {
    throw new Error('additionalDatastoreIds needs the default base path');
  }
  for (const id of [datastoreId, ...extraIds]) {
    if (!DATASTORE_ID.test(id)) throw new Error('a data store id must be 1-64 letters, digits, - or _');
  }
  /** Each data store: its base path, store, faults and FHIR routes (the first one is the options'). */
  const served = new Map<
    string,
    {
      basePath: string;
      store: FhirStore;
      faults: FaultInjector;
      dispatch: ReturnType<typeof createFhirRoutes>['dispatch'];
    }
  >();
  for (const id of [datastoreId, ...extraIds]) {
    if (served.has(id)) continue;
    const first = id === datastoreId;
    const path = first ? basePath : `/datastore/${id}/r4/`;
    const ownStore = first ? store : new FhirStore();
    const { dispatch } = createFhirRoutes({
      store: ownStore,
      notSupportedTypes,
      validate: options.validate === true,
      deleteMissingStatus,
      ...(options.maxBundleEntries === undefined ? {} : { maxBundleEntries: options.maxBundleEntries }),
      endpoint: () => `${origin}${path}`,
    });
    served.set(id, {
      basePath: path,
      store: ownStore,
      faults: first ? faults : new FaultInjector(options.faults),
      dispatch,
    });
  }
  /** The data store whose base path `path` is in (or is), if any. */
  const datastoreOf = (path: string) => {
    for (const [id, entry] of served) {
      if (path.startsWith(entry.basePath) || `${path}/` === entry.basePath) return { id, ...entry };
    }
    return undefined;
  };

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

  const retryAfter = (faults: FaultInjector): Record<string, string> => {
    const seconds = faults.settings.retryAfterSeconds;
    return seconds === undefined ? {} : { 'retry-after': String(seconds) };
  };

  const handleFhir = async (
    response: ServerResponse,
    record: RecordedRequest,
    raw: RawSignedRequest,
    relative: string,
    parsedBody: { value: unknown } | undefined,
    {
      faults,
      dispatch,
    }: { faults: FaultInjector; dispatch: ReturnType<typeof createFhirRoutes>['dispatch'] },
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
        retryAfter(faults),
      );
    }
    if (decision.fault === 'server-error') {
      throw new HttpError(serverError('InternalServerException'), 'InternalServerException');
    }
    if (decision.fault === 'forbidden') {
      throw new HttpError(
        outcome('forbidden', 'AccessDeniedException: not authorized to perform this action', {
          status: 403,
          severity: 'error',
        }),
        'AccessDeniedException',
      );
    }
    if (decision.fault === 'invalid') {
      throw new HttpError(badRequest('Injected validation failure'), 'ValidationException');
    }
    if (decision.fault === 'unavailable') {
      throw new HttpError(
        serviceUnavailable('ServiceUnavailableException'),
        'ServiceUnavailableException',
        retryAfter(faults),
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
      seq: ++received,
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
      datastoreId: undefined,
    };
    requests.push(record);
    // Trimmed a tenth at a time, so a full record costs one copy per tenth of it, not one per request.
    if (requests.length >= maxRecorded + trimSlack) requests.splice(0, requests.length - maxRecorded);
    try {
      const body = await readBody(request, maxBodyBytes);
      const parsedBody = tryParseJson(body);
      record.versionId = bodyVersionId(parsedBody);
      const posted = parsedBody?.value as { resourceType?: unknown; entry?: unknown } | undefined;
      if (method === 'POST' && posted?.resourceType === 'Bundle') {
        record.bundleEntries = Array.isArray(posted.entry) ? posted.entry.length : 0;
      }
      const target = datastoreOf(path);
      if (!target) throw new HttpError(notFound('No route'));
      record.datastoreId = target.id;
      const fhirPath = `${path}/` === target.basePath ? target.basePath : path;
      const raw: RawSignedRequest = { method, path, rawQuery, headers: request.headers, body };
      await handleFhir(response, record, raw, fhirPath.slice(target.basePath.length), parsedBody, target);
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
  origin = `http://${host}:${port}`;
  const endpoint = `${origin}${basePath}`;
  const datastores = new Map<string, FhirStandinDatastore>(
    [...served].map(([id, entry]) => [
      id,
      {
        datastoreId: id,
        endpoint: `${origin}${entry.basePath}`,
        store: entry.store,
        faults: entry.faults,
        current: (resourceType, resourceId) => entry.store.current(resourceType, resourceId),
        count: (resourceType) => entry.store.count(resourceType),
      },
    ]),
  );

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
    datastores,
    datastore: (id) => {
      const found = datastores.get(id);
      if (!found) throw new Error(`The stand-in serves no data store ${id}`);
      return found;
    },
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
