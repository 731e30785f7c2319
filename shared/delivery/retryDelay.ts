/** How transient failures back off. */
export interface BackoffOptions {
  /** Delay before the second attempt, seconds. @default 2 */
  readonly baseSeconds?: number;
  /** Largest delay, seconds (SQS allows up to 12 hours). @default 300 */
  readonly maxSeconds?: number;
}

const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Exponential backoff with "equal jitter" for the attempt that just failed (1-based): a delay drawn from
 * [d/2, d] with d = base * 2^(attempt-1), capped; never below the server's Retry-After. Used as the
 * record's new visibility timeout, so SQS itself redelivers it later.
 */
export const retryDelaySeconds = (
  attempt: number,
  options: BackoffOptions = {},
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number => {
  const base = options.baseSeconds ?? 2;
  const max = Math.min(options.maxSeconds ?? 300, SQS_MAX_VISIBILITY_SECONDS);
  const exponential = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const delay = Math.max(jittered, Math.min(retryAfterSeconds ?? 0, max));
  return Math.min(max, Math.round(delay));
};
