import { DATA_STORE_DIMENSION, DATA_STORE_METRICS, DELIVERY_METRICS } from '../shared/delivery/constants.js';
import type { LocalStatsView } from '../shared/operator/localAdmin.js';
import { SQL_WRITER_METRICS } from '../shared/sqlWriter/constants.js';

/** Minutes of delivery counts kept: the ones `view` shows. */
const MINUTES_SHOWN = 5;
/**
 * Messages tracked as in flight at most: one whose batch never reports back (an invocation that crashed,
 * a message SQS's own redrive moved away) is forgotten once this many newer ones arrived.
 */
export const MAX_TRACKED_IN_FLIGHT = 10_000;
/** Data stores counted separately at most (the allow-list is far shorter). */
export const MAX_DATA_STORES = 100;

/**
 * Pipeline counters of a local connector since it started: what the progress line shows and what
 * `GET /_local/stats` serves to `hlc status`. Counts only: no identifiers, no content.
 */
export class LocalStats {
  public ingested = 0;
  public ingestErrors = 0;
  /** Accepted writes that matched no active Subscription (never delivered). */
  public writesUnmatched = 0;
  /** Accepted writes of a version already recorded: counted in `ingested`, delivered once. */
  public identicalResends = 0;
  /** Signs of lost backport notifications (MissedNotifications, ingest and the heartbeat check). */
  public missedNotifications = 0;
  public delivered = 0;
  public deleted = 0;
  /** Dropped because HealthLake does not support the type (400 not-supported). */
  public notSupported = 0;
  /** Not sent because a newer version was known. */
  public staleSkipped = 0;
  /** Not sent by the Subscription's choice: source-evaluated criteria not matched, or a transform returned nothing. */
  public filtered = 0;
  public retried = 0;
  public deadLettered = 0;
  public backfillPages = 0;
  /** The SQL writer's outcomes (SQL_WRITER_METRICS), when a SQL target is on. */
  public readonly sql = { written: 0, deleted: 0, unchanged: 0, retried: 0, deadLettered: 0 };
  private sqlOn = false;
  public readonly startedAt: Date;
  /** Settled messages per minute (epoch minute), the last `MINUTES_SHOWN` minutes only. */
  private readonly perMinute = new Map<number, number>();
  /** Delivered, throttled and access-denied counts per data store (`dataStoreLabel`), at most MAX_DATA_STORES. */
  private readonly dataStores = new Map<string, Record<(typeof DATA_STORE_METRICS)[number], number>>();
  /** SentTimestamp (ms) of delivery messages received by the poller and not yet settled, by message id. */
  private readonly inFlight = new Map<string, number>();

  public constructor(private readonly now: () => number = Date.now) {
    this.startedAt = new Date(now());
  }

  /** A delivery message reached a final outcome other than the DLQ (delivered, deleted, dropped, stale). */
  public settledDone(
    kind: 'delivered' | 'deleted' | 'not-supported-dropped' | 'stale-skipped' | 'filtered',
    count = 1,
  ): void {
    if (kind === 'delivered') this.delivered += count;
    else if (kind === 'deleted') this.deleted += count;
    else if (kind === 'not-supported-dropped') this.notSupported += count;
    else if (kind === 'filtered') this.filtered += count;
    else this.staleSkipped += count;
    const minute = Math.floor(this.now() / 60_000);
    this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + count);
    for (const past of this.perMinute.keys()) if (past <= minute - MINUTES_SHOWN) this.perMinute.delete(past);
  }

  /** Counts one of the deliverer's metrics (per record or summed per batch). */
  public readonly countDeliveryMetric = (name: string, value: number): void => {
    if (name === DELIVERY_METRICS.delivered) this.settledDone('delivered', value);
    else if (name === DELIVERY_METRICS.deleted) this.settledDone('deleted', value);
    else if (name === DELIVERY_METRICS.droppedNotSupported) this.settledDone('not-supported-dropped', value);
    else if (name === DELIVERY_METRICS.skippedStale) this.settledDone('stale-skipped', value);
    else if (name === DELIVERY_METRICS.filtered) this.settledDone('filtered', value);
    else if (name === DELIVERY_METRICS.retried) this.retried += value;
    else if (name === DELIVERY_METRICS.deadLettered) this.deadLettered += value;
  };

  /** Counts one of the SQL writer's metrics (summed per batch). */
  public readonly countSqlMetric = (name: string, value: number): void => {
    this.sqlOn = true;
    if (name === SQL_WRITER_METRICS.written) this.sql.written += value;
    else if (name === SQL_WRITER_METRICS.deleted) this.sql.deleted += value;
    else if (name === SQL_WRITER_METRICS.unchanged) this.sql.unchanged += value;
    else if (name === SQL_WRITER_METRICS.retried) this.sql.retried += value;
    else if (name === SQL_WRITER_METRICS.deadLettered) this.sql.deadLettered += value;
  };

  /** Whether a SQL writer runs (it reports its counts here). */
  public enableSql(): void {
    this.sqlOn = true;
  }

  /** Counts one of the deliverer's per-data-store metrics (a single metric with the DataStore dimension). */
  public readonly countSingleMetric = (
    dimensions: Readonly<Record<string, string>>,
    name: string,
    value: number,
  ): void => {
    const dataStore = dimensions[DATA_STORE_DIMENSION];
    const metric = DATA_STORE_METRICS.find((known) => known === name);
    if (dataStore === undefined || metric === undefined) return;
    let counts = this.dataStores.get(dataStore);
    if (!counts) {
      if (this.dataStores.size >= MAX_DATA_STORES) return;
      counts = { Delivered: 0, Throttled: 0, AccessDenied: 0 };
      this.dataStores.set(dataStore, counts);
    }
    counts[metric] += value;
  };

  public received(messageId: string, sentTimestampMs: number): void {
    if (this.inFlight.has(messageId)) return;
    // Map order is insertion order: the first key is the longest in flight.
    if (this.inFlight.size >= MAX_TRACKED_IN_FLIGHT) this.inFlight.delete(this.inFlight.keys().next().value!);
    this.inFlight.set(messageId, sentTimestampMs);
  }

  public finished(messageId: string): void {
    this.inFlight.delete(messageId);
  }

  /** Messages settled so far (any final outcome, DLQ included). */
  public get settled(): number {
    return (
      this.delivered +
      this.deleted +
      this.notSupported +
      this.staleSkipped +
      this.filtered +
      this.deadLettered
    );
  }

  /** Entries held: minutes of counts (at most `MINUTES_SHOWN`) and messages in flight (at most `MAX_TRACKED_IN_FLIGHT`). */
  public get retained(): { readonly minutes: number; readonly inFlight: number } {
    return { minutes: this.perMinute.size, inFlight: this.inFlight.size };
  }

  public oldestInFlightSeconds(now = this.now()): number | undefined {
    let oldest: number | undefined;
    for (const sent of this.inFlight.values()) if (oldest === undefined || sent < oldest) oldest = sent;
    return oldest === undefined ? undefined : Math.max(0, (now - oldest) / 1000);
  }

  /**
   * The counters, and the oldest delivery message's age: the older of what the poller holds and
   * `oldestQueuedSentMs`, when the oldest message waiting in the delivery queue was sent (read from the
   * queue stand-in; a paused delivery leaves every message there).
   */
  public view(now = this.now(), oldestQueuedSentMs?: number): LocalStatsView {
    const minute = Math.floor(now / 60_000);
    const deliveredPerMinute = [4, 3, 2, 1, 0].map((back) => this.perMinute.get(minute - back) ?? 0);
    const polled = this.oldestInFlightSeconds(now);
    const queued =
      oldestQueuedSentMs === undefined ? undefined : Math.max(0, (now - oldestQueuedSentMs) / 1000);
    const oldest = polled === undefined ? queued : queued === undefined ? polled : Math.max(polled, queued);
    return {
      startedAt: this.startedAt.toISOString(),
      uptimeSeconds: Math.round((now - this.startedAt.getTime()) / 1000),
      ingested: this.ingested,
      ingestErrors: this.ingestErrors,
      delivered: this.delivered + this.deleted,
      retried: this.retried,
      deadLettered: this.deadLettered,
      backfillPages: this.backfillPages,
      writesUnmatched: this.writesUnmatched,
      identicalResends: this.identicalResends,
      filtered: this.filtered,
      missedNotifications: this.missedNotifications,
      ...(oldest === undefined ? {} : { oldestMessageAgeSeconds: Math.round(oldest) }),
      ...(this.sqlOn ? { sql: { ...this.sql } } : {}),
      deliveredPerMinute,
      dataStores: Object.fromEntries(
        [...this.dataStores].map(([name, counts]) => [
          name,
          { delivered: counts.Delivered, throttled: counts.Throttled, accessDenied: counts.AccessDenied },
        ]),
      ),
    };
  }

  /** The compact progress line. */
  public line(): string {
    return (
      `ingested ${this.ingested}${this.identicalResends > 0 ? ` (identical resends ${this.identicalResends})` : ''}  delivered ${this.delivered}  deleted ${this.deleted}  ` +
      `retried ${this.retried}  not-supported ${this.notSupported}  stale ${this.staleSkipped}  DLQ ${this.deadLettered}` +
      (this.ingestErrors > 0 ? `  ingest-errors ${this.ingestErrors}` : '') +
      (this.writesUnmatched > 0 ? `  unmatched ${this.writesUnmatched}` : '') +
      (this.filtered > 0 ? `  filtered ${this.filtered}` : '') +
      (this.backfillPages > 0 ? `  backfill-pages ${this.backfillPages}` : '') +
      (this.sqlOn
        ? `  sql ${this.sql.written + this.sql.deleted} (DLQ ${this.sql.deadLettered}, retried ${this.sql.retried})`
        : '')
    );
  }
}
