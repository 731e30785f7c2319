/** How long, and how often, AccessDenied is retried. */
export interface AccessDeniedRetry {
  /** Stop retrying once this much time has passed since the first attempt. @default 30_000 */
  readonly windowMs?: number;
  /** First wait; each later one doubles, up to `maxDelayMs`. @default 1_000 */
  readonly baseDelayMs?: number;
  /** @default 8_000 */
  readonly maxDelayMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told about each retry (the error's name only: AWS messages can name resources). */
  readonly onRetry?: (attempt: number, errorName: string, delayMs: number) => void;
}

/** Error names AWS SDK v3 gives a request IAM refused (DynamoDB, KMS through DynamoDB, STS). */
const ACCESS_DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied']);

/** Whether `error` is AWS refusing the caller's permissions (which a new role's policy may not yet grant). */
export const isAccessDenied = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return (typeof name === 'string' && ACCESS_DENIED_NAMES.has(name)) || $metadata?.httpStatusCode === 403;
};

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `action`, retrying it while AWS answers AccessDenied, for about `windowMs` (30 s). At deploy time
 * the provisioner's role and its policy were created moments before, and IAM changes take a few seconds
 * to reach every endpoint: without this, a rare propagation delay rolls back the first deploy. Any other
 * error, and AccessDenied past the window, is thrown as it is. `action` must be safe to repeat.
 *
 * @example
 * const result = await retryAccessDenied(() => ensureAutoManagedSubscription(options));
 */
export const retryAccessDenied = async <T>(
  action: () => Promise<T>,
  options: AccessDeniedRetry = {},
): Promise<T> => {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? timer;
  const windowMs = options.windowMs ?? 30_000;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const deadline = now() + windowMs;
  let delayMs = options.baseDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      const remaining = deadline - now();
      if (!isAccessDenied(error) || remaining <= 0) throw error;
      const wait = Math.min(delayMs, maxDelayMs, remaining);
      options.onRetry?.(attempt, String((error as { name?: unknown }).name ?? 'HTTP 403'), wait);
      await sleep(wait);
      delayMs *= 2;
    }
  }
};
