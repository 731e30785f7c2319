import { describeRequestError, originOf } from './describeRequestError.js';
import { parseJson } from '../fhir/parseJson.js';
import type { FhirResource } from '../fhir/types.js';
import { readCappedBody } from '../fhirClient/readCappedBody.js';

/** Largest local admin answer read: a resource of the HealthLake stand-in is at most its 5 MiB body limit. */
const MAX_LOCAL_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * The local connector's admin endpoints (served by local/start.ts next to the ingest API):
 * `GET /_local/config` (where everything listens), `GET /_local/stats` (pipeline counters) and
 * `GET /_local/healthlake[/{type}[/{id}]]` (what reached the HealthLake stand-in).
 */
export const LOCAL_ADMIN_PREFIX = '/_local';

/** What `GET /_local/config` returns: enough for the CLI to find the queues. No secrets but the dev creds. */
export interface LocalConfigView {
  readonly apiUrl: string;
  readonly region: string;
  readonly sqsEndpoint?: string;
  /** Static credentials the local SQS stand-in accepts (fauxqs does not verify signatures). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly deliveryQueueUrl: string;
  readonly deliveryDlqUrl: string;
  readonly backfillQueueUrl?: string;
  readonly backfillDlqUrl?: string;
  readonly reconcileQueueUrl?: string;
  readonly reconcileDlqUrl?: string;
  /** The SQL target's queue and DLQ, when it is on. */
  readonly sqlQueueUrl?: string;
  readonly sqlDlqUrl?: string;
  readonly healthLakeEndpoint: string;
  readonly sourceFhirBaseUrl?: string;
  readonly autoSubscriptionId?: string;
}

/** Pipeline counters since start (`GET /_local/stats`). */
/** One data store's delivery counts (`hlc status`). */
export interface DataStoreCounts {
  readonly delivered: number;
  readonly throttled: number;
  readonly accessDenied: number;
}

export interface LocalStatsView {
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  /** Resource writes accepted by the ingest API (including Bundle entries). */
  readonly ingested: number;
  /** Ingest requests answered with 4xx/5xx. */
  readonly ingestErrors: number;
  /** Delivery messages processed successfully (HealthLake PUT/DELETE done, or stale skipped). */
  readonly delivered: number;
  /** Delivery attempts that failed and will be retried. */
  readonly retried: number;
  /** Messages moved to the DLQ (by the deliverer or by the redrive policy). */
  readonly deadLettered: number;
  /** Backfill work messages processed. */
  readonly backfillPages: number;
  /** Writes accepted that matched no active Subscription: recorded, never delivered. */
  readonly writesUnmatched: number;
  /** Writes of a version already recorded (identical resends): counted in `ingested`, delivered once. */
  readonly identicalResends?: number;
  /**
   * Delivery messages not sent by the Subscription's choice: the source server found the resource does
   * not match criteria it evaluates, or the Subscription's transform returned nothing.
   */
  readonly filtered?: number;
  /** Signs of lost backport notifications since start. */
  readonly missedNotifications?: number;
  /**
   * Age of the oldest delivery message not yet settled, seconds: waiting in the delivery queue (read
   * from the embedded SQS stand-in) or held by the poller; absent when there is none.
   */
  readonly oldestMessageAgeSeconds?: number;
  /** The SQL writer's outcomes since start, when a SQL target is on (written and deleted resources). */
  readonly sql?: {
    readonly written: number;
    readonly deleted: number;
    readonly unchanged: number;
    readonly retried: number;
    readonly deadLettered: number;
  };
  /** Deliveries per minute over the last minutes, newest last. */
  readonly deliveredPerMinute: readonly number[];
  /** Per data store (`dataStoreLabel` of its endpoint): delivered, answered 429, answered access denied. */
  readonly dataStores?: Readonly<Record<string, DataStoreCounts>>;
}

/** `GET /_local/healthlake`: resources per type in the HealthLake stand-in, and its newest requests. */
export interface LocalHealthLakeSummary {
  readonly endpoint: string;
  readonly total: number;
  readonly types: Readonly<Record<string, number>>;
  /** The newest requests the stand-in received, oldest first: no content. */
  readonly recentRequests: readonly {
    readonly time: string;
    readonly method: string;
    readonly path: string;
    readonly versionId?: string;
    readonly bundleEntries?: number;
    readonly status: number;
    readonly fault?: string;
  }[];
}

/** `GET /_local/healthlake/{type}`: the ids of a type (the first 1,000 in creation order). */
export interface LocalHealthLakeType {
  readonly resourceType: string;
  readonly total: number;
  readonly resources: readonly {
    readonly id: string;
    readonly versionId: string;
    readonly lastUpdated: string;
  }[];
  readonly truncated?: true;
}

/** `GET /_local/healthlake/{type}/{id}`: the current resource and its versions, newest first. */
export interface LocalHealthLakeResource {
  readonly resource: FhirResource;
  readonly versions: readonly {
    readonly versionId: string;
    readonly lastUpdated: string;
    readonly deleted: boolean;
  }[];
}

/** An answer of a local admin endpoint: its status and JSON body (undefined when not JSON). */
export interface LocalAdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * `GET {baseUrl}/_local/{path}` with the admin (development) token. `path` is built from checked
 * segments by the caller; the answer is returned whatever its status, so the caller can say what
 * went wrong (401, 403, 404). Throws only when the connector cannot be reached.
 */
export const localAdminRequest = async (
  baseUrl: string,
  segments: readonly string[],
  token?: string,
): Promise<LocalAdminAnswer> => {
  const path = segments.map(encodeURIComponent).join('/');
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${LOCAL_ADMIN_PREFIX}/${path}`, {
    signal: AbortSignal.timeout(10_000),
    redirect: 'error',
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  const read = await readCappedBody(response, MAX_LOCAL_ANSWER_BYTES);
  if (read.tooLarge) throw new Error(`the answer of ${LOCAL_ADMIN_PREFIX}/${path} is larger than 8 MiB`);
  let body: unknown;
  try {
    body = parseJson(read.text, `${LOCAL_ADMIN_PREFIX}/${path}`);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
};

/** A local admin endpoint's JSON, or why there is none (for the operator; never content). */
export interface LocalAdminResult<T> {
  readonly value?: T;
  readonly problem?: string;
}

/**
 * Reads a local admin endpoint (it needs the admin, development, token). Never throws: a failure is
 * returned as a sentence saying what happened at which origin (refused, 401, 403, not local mode).
 */
export const fetchLocalAdmin = async <T>(
  baseUrl: string,
  path: 'config' | 'stats',
  token?: string,
): Promise<LocalAdminResult<T>> => {
  const url = `${baseUrl.replace(/\/+$/, '')}${LOCAL_ADMIN_PREFIX}/${path}`;
  let answer: LocalAdminAnswer;
  try {
    answer = await localAdminRequest(baseUrl, [path], token);
  } catch (error) {
    return { problem: describeRequestError(error, url) };
  }
  const where = `local mode at ${originOf(url)}`;
  if (answer.status === 200) {
    return answer.body === undefined
      ? { problem: `${where} answered ${LOCAL_ADMIN_PREFIX}/${path} with something other than JSON` }
      : { value: answer.body as T };
  }
  if (answer.status === 401) {
    return {
      problem: `${where} answered 401: ${token ? 'the token was not accepted' : 'no token was given'}; set --token or HLC_TOKEN to the development token npm start printed`,
    };
  }
  if (answer.status === 403) {
    return {
      problem: `${where} answered 403: the token has the write scope; ${LOCAL_ADMIN_PREFIX}/* needs the admin (development) token npm start printed`,
    };
  }
  if (answer.status === 404) {
    return {
      problem: `${originOf(url)} is not local mode (no ${LOCAL_ADMIN_PREFIX}/${path}); for a deployed stack pass --stack HealthLakeConnector-{connectorId}`,
    };
  }
  return { problem: `${where} answered HTTP ${answer.status} to ${LOCAL_ADMIN_PREFIX}/${path}` };
};

/** A local admin endpoint's JSON; undefined when unavailable (see fetchLocalAdmin for why). */
export const fetchLocalJson = async <T>(
  baseUrl: string,
  path: 'config' | 'stats',
  token?: string,
): Promise<T | undefined> => (await fetchLocalAdmin<T>(baseUrl, path, token)).value;
