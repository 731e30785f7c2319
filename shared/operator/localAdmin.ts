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
  /** Signs of lost backport notifications since start. */
  readonly missedNotifications?: number;
  /** Age of the oldest delivery message the poller holds unfinished, seconds (approximate). */
  readonly oldestMessageAgeSeconds?: number;
  /** Deliveries per minute over the last minutes, newest last. */
  readonly deliveredPerMinute: readonly number[];
  /** Per data store (`dataStoreLabel` of its endpoint): delivered, answered 429, answered access denied. */
  readonly dataStores?: Readonly<Record<string, DataStoreCounts>>;
}

/** A local admin endpoint's JSON; needs the admin (development) token; undefined when unavailable. */
export const fetchLocalJson = async <T>(
  baseUrl: string,
  path: 'config' | 'stats',
  token?: string,
): Promise<T | undefined> => {
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${LOCAL_ADMIN_PREFIX}/${path}`, {
      signal: AbortSignal.timeout(3000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    if (response.status !== 200) return undefined;
    return (await response.json()) as T;
  } catch {
    return undefined;
  }
};
