import { decideHeartbeatCheck } from '../notifications/decideHeartbeatCheck.js';
import type { SourceSubscriptionStore } from '../notifications/SourceSubscriptionStore.js';
import { applyDecision, type Applied, type ApplyDeps } from './applyDecision.js';
import { bookkeepingOptions, decideForSource } from './decideForSource.js';
import { missedCount } from './missedCount.js';
import type { NotificationObserver, NotificationSource } from './types.js';

export interface HeartbeatCheckDeps extends ApplyDeps {
  readonly sources: ReadonlyMap<string, NotificationSource>;
  readonly states: SourceSubscriptionStore;
  readonly observer?: NotificationObserver;
  readonly now?: () => Date;
  readonly catchUpMarginSeconds?: number;
  /** Seconds a skipped event number may still arrive before it is a gap. */
  readonly gapGraceSeconds?: number;
  /** Seconds past the period before a heartbeat counts as missed (default: one period, at least 30 s). */
  readonly toleranceSeconds?: number;
}

/** One source Subscription found overdue (or with skipped numbers past their grace), and its catch-up. */
export interface OverdueSource {
  readonly subscription: string;
  readonly disposition: 'heartbeat-overdue' | 'gap';
  readonly applied: Applied;
}

/**
 * The periodic check (a scheduled Lambda; a timer in local mode): for every configured source
 * Subscription, an overdue heartbeat counts as missed and starts a catch-up `_since` the last point
 * known good, once a period while the source stays silent; skipped event numbers past their grace
 * period become gaps and are caught up, even when the source has sent nothing since. One source failing does not stop the
 * others; its error is rethrown at the end so the invocation shows as failed.
 *
 * @example
 * const overdue = await checkHeartbeats(deps);
 */
export const checkHeartbeats = async (deps: HeartbeatCheckDeps): Promise<OverdueSource[]> => {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const overdue: OverdueSource[] = [];
  let failure: unknown;
  for (const source of deps.sources.values()) {
    try {
      const { decision, applied } = await decideForSource(
        deps.states,
        source,
        now,
        (state) =>
          decideHeartbeatCheck(state, {
            now,
            ...(deps.toleranceSeconds === undefined ? {} : { toleranceSeconds: deps.toleranceSeconds }),
            ...bookkeepingOptions(deps),
          }),
        async (candidate) =>
          candidate.changed
            ? applyDecision(candidate, source, deps, { requestId: `heartbeat-check:${now}` })
            : { written: 0, reconcileJobs: [] },
      );
      if (!decision?.changed) continue;
      deps.observer?.missed?.(missedCount(decision));
      deps.logger?.warn(
        decision.disposition === 'heartbeat-overdue'
          ? 'Heartbeat overdue: catching up'
          : 'Missed notifications: catching up',
        {
          sourceSubscriptionId: source.subscription,
          gaps: decision.actions.flatMap((action) => (action.kind === 'record-gap' ? [action.range] : [])),
          jobId: applied.jobId,
          reconcileJobs: applied.reconcileJobs,
        },
      );
      overdue.push({
        subscription: source.subscription,
        disposition: decision.disposition as OverdueSource['disposition'],
        applied,
      });
    } catch (error) {
      failure ??= error;
      deps.logger?.error('Heartbeat check failed', {
        sourceSubscriptionId: source.subscription,
        error: (error as Error)?.name,
      });
    }
  }
  if (failure) throw failure;
  return overdue;
};
