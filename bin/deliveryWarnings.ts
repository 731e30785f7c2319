import type { DeliveryState } from '../shared/operator/deliverySwitch.js';

/** What `hlc status` knows about the delivery switch and the queue behind it. */
export interface DeliveryFacts extends Pick<DeliveryState, 'state' | 'deployedState' | 'lastModified'> {
  /** The delivery queue's MessageRetentionPeriod: how long a queued write waits before SQS drops it. */
  readonly retentionSeconds?: number;
  /** Age of the oldest message in the delivery queue (CloudWatch, or local mode's poller). */
  readonly oldestMessageAgeSeconds?: number;
  readonly now: Date;
}

const PAUSED_STATES = new Set(['Disabled', 'Disabling']);
const RUNNING_STATES = new Set(['Enabled', 'Enabling']);

/** A pause warns once the oldest queued write has waited this share of the queue's retention. */
export const RETENTION_WARNING_SHARE = 0.5;

const duration = (seconds: number): string => {
  if (seconds < 7200) return `${Math.max(0, Math.round(seconds / 60))} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
};

/**
 * Warnings about the delivery switch: a position set by hand that the next deploy would undo (the stack
 * deploys the position of `delivery.paused`), and a pause that approaches the delivery queue's retention,
 * after which SQS drops the queued writes undelivered.
 *
 * @example
 * deliveryWarnings({ state: 'Disabled', deployedState: 'running', now: new Date() });
 * // ['delivery was paused by hand, but the stack deployed it running: ...']
 */
export const deliveryWarnings = (facts: DeliveryFacts): string[] => {
  const warnings: string[] = [];
  const paused = PAUSED_STATES.has(facts.state);
  if (paused && facts.deployedState === 'running') {
    warnings.push(
      'delivery was paused by hand, but the stack deployed it running: a deploy that updates the ' +
        "deliverer's event source mapping resumes delivery. To keep it paused across deploys, set " +
        'delivery.paused to true in the configuration.',
    );
  }
  if (RUNNING_STATES.has(facts.state) && facts.deployedState === 'paused') {
    warnings.push(
      'delivery was resumed by hand, but the stack deployed it paused (delivery.paused is true): a deploy ' +
        'that updates the mapping pauses it again. Set delivery.paused to false in the configuration.',
    );
  }
  if (paused && facts.retentionSeconds !== undefined && facts.retentionSeconds > 0) {
    const pausedFor =
      facts.lastModified === undefined
        ? 0
        : (facts.now.getTime() - new Date(facts.lastModified).getTime()) / 1000;
    // Writes queued before the pause are older than the pause itself: take the longer of the two.
    const waited = Math.max(pausedFor, facts.oldestMessageAgeSeconds ?? 0);
    const remaining = facts.retentionSeconds - waited;
    if (remaining <= 0) {
      warnings.push(
        `delivery has been paused ${duration(pausedFor)} and queued writes have waited up to ${duration(waited)}: ` +
          `past the delivery queue's retention (${duration(facts.retentionSeconds)}), SQS drops them undelivered. ` +
          'Resume now (hlc delivery resume) and reconcile what was lost (hlc reconcile).',
      );
    } else if (waited >= facts.retentionSeconds * RETENTION_WARNING_SHARE) {
      warnings.push(
        `delivery has been paused ${duration(pausedFor)} and queued writes have waited up to ${duration(waited)} ` +
          `of the delivery queue's ${duration(facts.retentionSeconds)} retention: resume within ` +
          `${duration(remaining)} (hlc delivery resume), or SQS drops them undelivered.`,
      );
    }
  }
  return warnings;
};
