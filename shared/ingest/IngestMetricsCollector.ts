import { isUnmatched } from './isUnmatched.js';
import type { IncomingWrite, WriteResult } from './types.js';
import type { IngestObserver } from './routes/IngestRouterContext.js';

/** Ingest metric names (CloudWatch, namespace set by the Lambda). */
export const INGEST_METRICS = {
  ingested: 'Ingested',
  matched: 'Matched',
  enqueued: 'Enqueued',
  rejectedRequests: 'RejectedRequests',
  staleWrites: 'StaleWrites',
  /**
   * Stale writes to a resource past `INGEST_REPEATED_STALE_WRITES` against one recorded version: a
   * resource that may be pinned. Without the ResourceType dimension, like WritesUnmatched, so one plain
   * metric carries the total its alarm watches.
   */
  repeatedStaleWrites: 'RepeatedStaleWrites',
  /**
   * Accepted writes that matched no active Subscription (recorded, never delivered). Published without
   * the ResourceType dimension, so one plain metric carries the total the `WritesUnmatched` alarm watches.
   */
  writesUnmatched: 'WritesUnmatched',
  /**
   * Signs of lost backport notifications (skipped event numbers, a first `error` status, a restarted
   * counter; the heartbeat check adds overdue heartbeats). The `MissedNotifications` alarm watches it.
   */
  missedNotifications: 'MissedNotifications',
  /**
   * Backport notifications that brought nothing new: a repeat of event numbers already counted (or a
   * replayed status). Their resources are read from the source as it is now; the bookkeeping is unchanged.
   */
  repeatedNotifications: 'RepeatedNotifications',
  /** Backport notifications overtaken by a later one and arriving within the gap grace period. */
  lateNotifications: 'LateNotifications',
} as const;
export type IngestMetricName = (typeof INGEST_METRICS)[keyof typeof INGEST_METRICS];

/**
 * Counts one request's metrics by resource type (the only dimension, to keep cardinality bounded),
 * so a Lambda can publish them in one EMF record per type.
 */
export class IngestMetricsCollector implements IngestObserver {
  /** resourceType ('' = none) -> metric -> count. */
  public readonly counts = new Map<string, Map<IngestMetricName, number>>();

  public rejected(): void {
    this.add('', INGEST_METRICS.rejectedRequests, 1);
  }

  public written(write: IncomingWrite, result: WriteResult): void {
    this.add(write.resourceType, INGEST_METRICS.ingested, 1);
    if (result.status === 'stale') this.add(write.resourceType, INGEST_METRICS.staleWrites, 1);
    if (result.matched > 0) this.add(write.resourceType, INGEST_METRICS.matched, result.matched);
    if (result.enqueued > 0) this.add(write.resourceType, INGEST_METRICS.enqueued, result.enqueued);
    if (isUnmatched(result)) this.add('', INGEST_METRICS.writesUnmatched, 1);
  }

  public repeatedStale(): void {
    this.add('', INGEST_METRICS.repeatedStaleWrites, 1);
  }

  /** A backport notification answered: repeats and late arrivals are counted (notification intake's observer). */
  public notification(disposition: string): void {
    if (disposition === 'duplicate' || disposition === 'replay') {
      this.add('', INGEST_METRICS.repeatedNotifications, 1);
    } else if (disposition === 'late') this.add('', INGEST_METRICS.lateNotifications, 1);
  }

  /** Lost backport notifications found (notification intake's observer). */
  public missed(count: number): void {
    this.add('', INGEST_METRICS.missedNotifications, count);
  }

  private add(resourceType: string, name: IngestMetricName, value: number): void {
    let byName = this.counts.get(resourceType);
    if (!byName) {
      byName = new Map();
      this.counts.set(resourceType, byName);
    }
    byName.set(name, (byName.get(name) ?? 0) + value);
  }
}
