/** Base class of backfill errors. Messages never carry resource content. */
export class BackfillError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackfillError';
  }
}

/** The source answered in a way retrying cannot fix (401/403, 400 on a search, a bad bundle): fail the job. */
export class PermanentSourceError extends BackfillError {
  public readonly status?: number;
  public constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSourceError';
    this.status = status;
  }
}

/** The source kept failing transiently (429/5xx/timeouts) after every retry: let SQS redeliver. */
export class TransientSourceError extends BackfillError {
  public readonly status?: number;
  public constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientSourceError';
    this.status = status;
  }
}

/** Source configuration (auth kind, secret shape) is unusable. */
export class SourceConfigurationError extends BackfillError {
  public constructor(message: string) {
    super(message);
    this.name = 'SourceConfigurationError';
  }
}
