import type { EventRange } from './types.js';

/**
 * The ranges of numbers in `[from, to]` that `present` lacks, found from the present numbers alone so
 * a hostile jump (event 3, then event 10^14) costs no more than the numbers actually sent.
 *
 * @example
 * missingRanges(5, 10, [6, 9]); // [{ from: 5, to: 5 }, { from: 7, to: 8 }, { from: 10, to: 10 }]
 */
export const missingRanges = (from: number, to: number, present: Iterable<number>): EventRange[] => {
  const inside = [...new Set(present)].filter((n) => n >= from && n <= to).sort((a, b) => a - b);
  const ranges: EventRange[] = [];
  let next = from;
  for (const n of [...inside, to + 1]) {
    if (n > next) ranges.push({ from: next, to: n - 1 });
    next = n + 1;
  }
  return ranges;
};

/** How many numbers the ranges cover. */
export const rangeSize = (ranges: readonly EventRange[]): number =>
  ranges.reduce((sum, range) => sum + range.to - range.from + 1, 0);
