/** Base class of the errors this module throws. */
export class HealthLakeError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HealthLakeError';
  }
}

/** Why a request never got an HTTP answer. */
export const TransientReason = {
  timeout: 'timeout',
  connection: 'connection',
} as const;
export type TransientReason = (typeof TransientReason)[keyof typeof TransientReason];

/**
 * A request that got no HTTP answer (timeout, refused or reset connection). Retrying may succeed.
 * The message names the method and resource type only, never content.
 */
export class HealthLakeTransientError extends HealthLakeError {
  public constructor(
    public readonly reason: TransientReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HealthLakeTransientError';
  }
}

/** Error names with which STS and HealthLake refuse a caller (trust policy, ExternalId, IAM policy). */
const ACCESS_DENIED_NAMES = new Set(['AccessDenied', 'AccessDeniedException']);

/** True when `error` (or an error in its cause chain) is an AWS "access denied" refusal. */
export const isAccessDenied = (error: unknown): boolean => {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const status = (current as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (ACCESS_DENIED_NAMES.has(current.name) || status === 403) return true;
    current = current.cause;
  }
  return false;
};

/**
 * Credentials could not be obtained (STS failed or returned nothing usable). Transient for delivery;
 * `accessDenied` when STS refused the AssumeRole (a configuration fault: trust policy or ExternalId).
 */
export class CredentialsError extends HealthLakeError {
  public readonly accessDenied: boolean;

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
    this.accessDenied = isAccessDenied(options?.cause);
  }
}
