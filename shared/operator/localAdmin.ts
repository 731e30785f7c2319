import { describeRequestError, originOf } from './describeRequestError.js';

/**
 * The local connector's admin endpoints (served by local/start.ts next to the ingest API):
 * `GET /_local/config` (where everything listens) and `GET /_local/stats` (pipeline counters).
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
  readonly healthLakeEndpoint: string;
  readonly sourceFhirBaseUrl?: string;
  readonly autoSubscriptionId?: string;
}

/** Pipeline counters since start (`GET /_local/stats`). */
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
  /** Signs of lost backport notifications since start. */
  readonly missedNotifications?: number;
  /** Age of the oldest delivery message the poller holds unfinished, seconds (approximate). */
  readonly oldestMessageAgeSeconds?: number;
  /** Deliveries per minute over the last minutes, newest last. */
  readonly deliveredPerMinute: readonly number[];
}

/** A local admin endpoint's answer: its JSON, or why there is none (for the operator, no content). */
export interface LocalAdminAnswer<T> {
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
): Promise<LocalAdminAnswer<T>> => {
  const url = `${baseUrl.replace(/\/+$/, '')}${LOCAL_ADMIN_PREFIX}/${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(3000),
      redirect: 'manual',
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  } catch (error) {
    return { problem: describeRequestError(error, url) };
  }
  const where = `local mode at ${originOf(url)}`;
  if (response.status === 200) {
    try {
      return { value: (await response.json()) as T };
    } catch {
      return { problem: `${where} answered ${LOCAL_ADMIN_PREFIX}/${path} with something other than JSON` };
    }
  }
  await response.body?.cancel();
  if (response.status === 401) {
    return {
      problem: `${where} answered 401: ${token ? 'the token was not accepted' : 'no token was given'}; set --token or HLC_TOKEN to the development token npm start printed`,
    };
  }
  if (response.status === 403) {
    return {
      problem: `${where} answered 403: the token has the write scope; ${LOCAL_ADMIN_PREFIX}/* needs the admin (development) token npm start printed`,
    };
  }
  if (response.status === 404) {
    return {
      problem: `${originOf(url)} is not local mode (no ${LOCAL_ADMIN_PREFIX}/${path}); for a deployed stack pass --stack HealthLakeConnector-{connectorId}`,
    };
  }
  return { problem: `${where} answered HTTP ${response.status} to ${LOCAL_ADMIN_PREFIX}/${path}` };
};

/** A local admin endpoint's JSON; undefined when unavailable (see fetchLocalAdmin for why). */
export const fetchLocalJson = async <T>(
  baseUrl: string,
  path: 'config' | 'stats',
  token?: string,
): Promise<T | undefined> => (await fetchLocalAdmin<T>(baseUrl, path, token)).value;
