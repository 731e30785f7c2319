import { NOTIFICATION_DEFAULTS } from './constants.js';
import type { EventRange, PendingGap } from './types.js';

/** The pending ranges with `numbers` taken out (each arrived number splits its range). */
export const withoutArrived = (pending: readonly PendingGap[], numbers: readonly number[]): PendingGap[] => {
  let ranges = [...pending];
  for (const n of new Set(numbers)) {
    ranges = ranges.flatMap((range) =>
      n < range.from || n > range.to
        ? [range]
        : [
            ...(n > range.from ? [{ ...range, to: n - 1 }] : []),
            ...(n < range.to ? [{ ...range, from: n + 1 }] : []),
          ],
    );
  }
  return ranges;
};

/** Whether any of `numbers` lies in a pending range. */
export const anyPending = (pending: readonly PendingGap[], numbers: readonly number[]): boolean =>
  numbers.some((n) => pending.some((range) => n >= range.from && n <= range.to));

/**
 * Splits pending ranges into those still within the grace period and those past it (they are gaps
 * now). More pending ranges than the limit are all due at once: a source skipping that much is lost.
 */
export const duePending = (
  pending: readonly PendingGap[],
  now: string,
  graceSeconds: number,
): { waiting: PendingGap[]; due: PendingGap[] } => {
  if (pending.length > NOTIFICATION_DEFAULTS.maxPendingGaps) return { waiting: [], due: [...pending] };
  const limit = Date.parse(now) - graceSeconds * 1000;
  return {
    waiting: pending.filter((range) => Date.parse(range.foundAt) > limit),
    due: pending.filter((range) => Date.parse(range.foundAt) <= limit),
  };
};

/** New missing ranges as pending, found now, to be caught up from `since`. */
export const asPending = (missing: readonly EventRange[], now: string, since: string): PendingGap[] =>
  missing.map((range) => ({ from: range.from, to: range.to, foundAt: now, since }));

/** The earliest `since` of the given pending ranges. */
export const earliestSince = (ranges: readonly PendingGap[]): string | undefined =>
  ranges.map((range) => range.since).sort()[0];

/** Plain ranges (without the pending bookkeeping). */
export const rangesOf = (ranges: readonly PendingGap[]): EventRange[] =>
  ranges.map((range) => ({ from: range.from, to: range.to }));
