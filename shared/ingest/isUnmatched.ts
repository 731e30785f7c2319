import type { WriteResult } from './types.js';

/** A write that was recorded (not stale, not refused) but goes nowhere: no active Subscription matched it. */
export const isUnmatched = (result: WriteResult): boolean =>
  result.status !== 'stale' &&
  result.status !== 'refused' &&
  result.status !== 'conflict' &&
  result.matched === 0;
