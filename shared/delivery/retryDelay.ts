/** Retry timing strategies (Smile CDR configures retries as a count, a delay and a strategy). */
export const RETRY_STRATEGIES = ['exponential', 'fixed'] as const;
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

/** How transient failures back off. */
export interface BackoffOptions {
  /** `exponential` (with equal jitter) or `fixed` (every retry after `baseSeconds`). @default exponential */
  readonly strategy?: RetryStrategy;
  /** Delay before the second attempt, seconds. @default 2 */
  readonly baseSeconds?: number;
  /** Largest delay, seconds (SQS allows up to 12 hours). @default 300 */
  readonly maxSeconds?: number;
}

const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/**
 * The retry delay after the attempt that just failed (1-based). `exponential`: "equal jitter", a delay
 * drawn from [d/2, d] with d = base * 2^(attempt-1), capped at max; `fixed`: base every time (capped).
 * Never below the server's Retry-After (up to max). Used as the record's new visibility timeout, so SQS
 * itself redelivers it later (whole seconds: SQS's granularity).
 */
export const retryDelaySeconds = (
  attempt: number,
  options: BackoffOptions = {},
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number => {
  const base = options.baseSeconds ?? 2;
  const max = Math.min(options.maxSeconds ?? 300, SQS_MAX_VISIBILITY_SECONDS);
  if (options.strategy === 'fixed') {
    return Math.min(max, Math.round(Math.max(base, Math.min(retryAfterSeconds ?? 0, max))));
  }
  const exponential = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const delay = Math.max(jittered, Math.min(retryAfterSeconds ?? 0, max));
  return Math.min(max, Math.round(delay));
};
