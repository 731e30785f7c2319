/** Why a payload search could not produce a Bundle. Messages never hold resource content or search values. */
export class PayloadSearchError extends Error {
  public constructor(
    /** `transient`: retrying may succeed (source 5xx/429/timeout, not yet searchable); `terminal`: never as it is. */
    public readonly kind: 'transient' | 'terminal',
    message: string,
    /** HTTP status the source answered, when it answered. */
    public readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PayloadSearchError';
  }
}
