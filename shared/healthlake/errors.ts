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

/** Credentials could not be obtained (STS failed or returned nothing usable). Transient for delivery. */
export class CredentialsError extends HealthLakeError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}
