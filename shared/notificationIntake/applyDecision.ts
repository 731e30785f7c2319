import { startNotificationJob, type NotificationJobDeps } from '../backfill/startNotificationJob.js';
import type { BackfillLogger } from '../backfill/types.js';
import type { FhirResource } from '../fhir/types.js';
import type { IncomingWrite, WritePipeline, WriteResult } from '../ingest/types.js';
import type { NotificationDecision, ResourceRef } from '../notifications/types.js';
import type { NotificationSource } from './types.js';

/** Starts reconcile compares of the connector's Subscriptions `since` an instant; their job ids. */
export type ReconcileStarter = (since: string, requestId: string) => Promise<readonly string[]>;

/** What carrying out decisions needs. */
export interface ApplyDeps {
  /** Where carried resources go; the heartbeat check, which never replicates, has none. */
  readonly pipeline?: WritePipeline;
  readonly jobs: NotificationJobDeps;
  /** Absent: a catch-up without resource types cannot run (logged and counted as missed). */
  readonly reconcile?: ReconcileStarter;
  /** Each write the pipeline accepted (ingest counts them as its own). */
  readonly onWritten?: (write: IncomingWrite, result: WriteResult) => void;
  readonly logger?: BackfillLogger;
}

/** What was done, for the answer to the source and the logs. */
export interface Applied {
  written: number;
  jobId?: string;
  reconcileJobs: readonly string[];
}

/**
 * Carries out one decision for one source Subscription: replicates the upserts and deletes the
 * notification carried (through the write pipeline, as any write), and starts one notification job
 * for the reads and the catch-up (history `_since` of the topic's types, `$events` first where the
 * source has it), or, when the topic's types are not configured, reconcile compares. Every effect is
 * safe to repeat: the version ledger ignores a version it has, a second catch-up reads the same data.
 * `checked` holds each upserted resource as ingest's checks returned it, by entry index.
 */
export const applyDecision = async (
  decision: NotificationDecision,
  source: NotificationSource,
  deps: ApplyDeps,
  context: { readonly requestId: string; readonly checked?: ReadonlyMap<number, FhirResource> },
): Promise<Applied> => {
  const applied: Applied = { written: 0, reconcileJobs: [] };
  const writes: IncomingWrite[] = [];
  const reads: ResourceRef[] = [];
  for (const action of decision.actions) {
    if (action.kind === 'replicate') {
      for (const entry of action.entries) {
        const resource = context.checked?.get(entry.index);
        const base = {
          resourceType: entry.ref.resourceType,
          id: entry.ref.id,
          source: 'ingest' as const,
          requestId: context.requestId,
        };
        if (entry.action === 'delete') writes.push({ ...base, operation: 'delete' });
        else if (resource) writes.push({ ...base, operation: 'upsert', resource });
        else reads.push(entry.ref); // never reached: the route checks every upsert first
      }
    }
    if (action.kind === 'read') reads.push(...action.refs);
  }
  if (writes.length > 0) {
    if (!deps.pipeline) throw new Error('Replicating a notification needs the write pipeline');
    const results = await deps.pipeline.accept(writes);
    results.forEach((result, index) => deps.onWritten?.(writes[index] as IncomingWrite, result));
    applied.written = writes.length;
  }
  const catchUp = decision.actions.find((action) => action.kind === 'catch-up');
  const byHistory = catchUp !== undefined && source.resourceTypes.length > 0;
  if (catchUp && !byHistory) {
    if (deps.reconcile) applied.reconcileJobs = await deps.reconcile(catchUp.since, context.requestId);
    else
      deps.logger?.error('Notification catch-up cannot run', {
        sourceSubscriptionId: source.subscription,
        reasons: catchUp.reasons,
        why: 'no resourceTypes configured and reconcile is not enabled',
      });
  }
  if (reads.length > 0 || byHistory) {
    applied.jobId = await startNotificationJob(deps.jobs, {
      sourceSubscriptionId: source.subscription,
      reasons: [...(reads.length > 0 ? ['read'] : []), ...(catchUp?.reasons ?? [])],
      reads,
      ...(byHistory
        ? {
            catchUp: {
              since: catchUp.since,
              resourceTypes: source.resourceTypes,
              missing: catchUp.missing,
              events: source.events,
            },
          }
        : {}),
      gaps: byHistory ? catchUp.missing.length : 0,
    });
  }
  return applied;
};
