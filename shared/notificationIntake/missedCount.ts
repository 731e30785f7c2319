import type { NotificationDecision } from '../notifications/types.js';

/** Reasons that stand for lost notifications in themselves (an empty payload is not one). */
const MISSED_REASONS: ReadonlySet<string> = new Set(['heartbeat-overdue', 'error-status', 'counter-reset']);

/**
 * How many signs of lost notifications a decision holds: each event number in a gap, and one for an
 * overdue heartbeat, a first `error` status or a restarted counter. What `MissedNotifications` counts.
 */
export const missedCount = (decision: NotificationDecision): number =>
  decision.actions.reduce((sum, action) => {
    if (action.kind === 'record-gap') return sum + action.range.to - action.range.from + 1;
    if (action.kind === 'catch-up')
      return sum + action.reasons.filter((reason) => MISSED_REASONS.has(reason)).length;
    return sum;
  }, 0);
