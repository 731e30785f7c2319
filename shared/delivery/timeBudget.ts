/** How the deliverer keeps within its invocation's time limit. */
export interface TimeLimitOptions {
  /** HealthLake connect timeout, ms: a record needs this much time to start. */
  readonly connectTimeoutMs: number;
  /** HealthLake response (idle) timeout, ms: and this much to get its answer. */
  readonly responseTimeoutMs: number;
  /** Kept free at the end for settling (visibility changes, DLQ sends, delivery records), ms. */
  readonly settleReserveMs: number;
  /** Visibility timeout of the records left unstarted, seconds (short: they did not fail). */
  readonly deferDelaySeconds: number;
}

/** One invocation's clock: whether a record may still start, and how long its request may take. */
export interface TimeBudget {
  /** True while a record started now can get its full connect + response time before the reserve. */
  canStart(): boolean;
  /** The longest a HealthLake request started now may take, ms (at least 1). */
  requestTimeoutMs(): number;
  readonly deferDelaySeconds: number;
}

/**
 * The time budget of one invocation, from Lambda's `getRemainingTimeInMillis`. A record starts only
 * while connect + response timeouts + the settle reserve remain (never asking for more than half of
 * the invocation's time, so a short function timeout still makes progress); every request is cut at
 * the reserve, so the invocation ends before Lambda kills it and reports every record.
 *
 * @example
 * const budget = createTimeBudget(() => context.getRemainingTimeInMillis(), config.timeLimit);
 * if (!budget.canStart()) // report the record failed with budget.deferDelaySeconds
 */
export const createTimeBudget = (remainingMs: () => number, options: TimeLimitOptions): TimeBudget => {
  const atStart = remainingMs();
  const needed = Math.min(options.connectTimeoutMs + options.responseTimeoutMs, atStart / 2);
  const startMarginMs = needed + options.settleReserveMs;
  return {
    canStart: () => remainingMs() >= startMarginMs,
    requestTimeoutMs: () => Math.max(1, remainingMs() - options.settleReserveMs),
    deferDelaySeconds: options.deferDelaySeconds,
  };
};
