import { randomUUID } from 'node:crypto';
import { resourceKey } from '../fhir/ids.js';
import type { EventRange, ResourceRef } from '../notifications/types.js';
import { IDS_PER_MESSAGE, MAX_EVENTS_PER_CATCH_UP } from './constants.js';
import { batches, createJob, newCursor, type JobStartDeps } from './createJob.js';
import type { BackfillJob, StreamCursor, WorkMessage } from './types.js';

/** What a notification job should do; see NotificationJob. */
export interface NotificationJobSpec {
  readonly sourceSubscriptionId: string;
  readonly reasons: readonly string[];
  /** Resources to read as the source has them now (id-only notifications, repeats). */
  readonly reads?: readonly ResourceRef[];
  /** A catch-up: `$events` for the missed numbers where the source has it, and history `_since`. */
  readonly catchUp?: {
    readonly since: string;
    readonly resourceTypes: readonly string[];
    readonly missing: readonly EventRange[];
    /** Whether the source serves `Subscription/{id}/$events`. */
    readonly events: boolean;
  };
  /** Gaps that finishing the job repairs. */
  readonly gaps: number;
}

export interface NotificationJobDeps extends JobStartDeps {
  readonly newJobId?: () => string;
  readonly idsPerMessage?: number;
}

/** `Subscription/{id}/$events` for the span of the missed numbers, when the span is small enough. */
const eventsUrl = (subscriptionId: string, missing: readonly EventRange[]): string | undefined => {
  if (missing.length === 0) return undefined;
  const from = Math.min(...missing.map((range) => range.from));
  const to = Math.max(...missing.map((range) => range.to));
  if (to - from + 1 > MAX_EVENTS_PER_CATCH_UP) return undefined;
  return `Subscription/${subscriptionId}/$events?eventsSinceNumber=${from}&eventsUntilNumber=${to}`;
};

/** `Type/_history?_since=`: changes and deletes of one type since the instant. */
export const historyUrl = (resourceType: string, since: string): string =>
  `${resourceType}/_history?_since=${encodeURIComponent(since)}`;

/**
 * Starts a backfill job for a source Subscription's notifications (visible as any backfill job, at
 * `$backfill-job/{jobId}`): reads of named resources, and a catch-up that asks the source for the
 * missed events with `$events` first (history streams wait on standby, run only if `$events` cannot
 * give them all) or goes straight to type history `_since`. Returns the job id.
 *
 * @example
 * const jobId = await startNotificationJob(deps, { sourceSubscriptionId: 'admissions', reasons: ['event-gap'], gaps: 1,
 *   catchUp: { since, resourceTypes: ['Encounter'], missing: [{ from: 3, to: 4 }], events: true } });
 */
export const startNotificationJob = async (
  deps: NotificationJobDeps,
  spec: NotificationJobSpec,
): Promise<string> => {
  const jobId = (deps.newJobId ?? randomUUID)();
  const catchUp = spec.catchUp;
  const events = catchUp?.events ? eventsUrl(spec.sourceSubscriptionId, catchUp.missing) : undefined;
  const history = (catchUp?.resourceTypes ?? []).map((type) => historyUrl(type, catchUp?.since ?? ''));
  const reads = [...new Set((spec.reads ?? []).map((ref) => resourceKey(ref.resourceType, ref.id)))];
  const idBatches = batches(reads, deps.idsPerMessage ?? IDS_PER_MESSAGE);

  const streams: StreamCursor[] = [
    ...(events ? [newCursor('events', { searchUrl: events })] : []),
    ...history.map((url) => newCursor('history', { searchUrl: url }, events !== undefined)),
    ...idBatches.map((ids) => newCursor('ids', { idCount: ids.length })),
  ];
  const messages: WorkMessage[] = streams.flatMap((cursor, index): WorkMessage[] => {
    if (!cursor.nextEnqueued) return [];
    if (cursor.kind === 'ids') {
      const ids = idBatches[index - (streams.length - idBatches.length)] ?? [];
      return [{ jobId, task: 'ids', searchIndex: index, pageNumber: 0, ids }];
    }
    const task = cursor.kind === 'events' ? 'events' : 'history';
    return [{ jobId, task, searchIndex: index, pageUrl: cursor.searchUrl ?? '', pageNumber: 0 }];
  });
  const job: BackfillJob = {
    jobId,
    notification: {
      sourceSubscriptionId: spec.sourceSubscriptionId,
      reasons: [...spec.reasons],
      ...(catchUp ? { since: catchUp.since } : {}),
      gaps: spec.gaps,
      ...(events && catchUp ? { missing: catchUp.missing } : {}),
    },
    state: 'queued',
    createdAt: (deps.now ?? (() => new Date()))().toISOString(),
    counts: { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 },
    streams,
    streamsDone: 0,
    failedIds: [],
  };
  await createJob(deps, job, messages);
  deps.logger?.info('Notification job created', {
    jobId,
    sourceSubscriptionId: spec.sourceSubscriptionId,
    reasons: spec.reasons,
    events: events !== undefined,
    historyTypes: history.length,
    reads: reads.length,
  });
  return jobId;
};
