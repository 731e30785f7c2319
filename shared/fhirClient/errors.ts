/** Base class of errors reading a FHIR server. Messages never carry resource content. */
export class SourceError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

/** The source answered in a way retrying cannot fix (401/403, 400 on a search, a bad bundle): fail the job. */
export class PermanentSourceError extends SourceError {
  public readonly status?: number;
  public constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSourceError';
    this.status = status;
  }
}

/** The source kept failing transiently (429/5xx/timeouts) after every retry: let SQS redeliver. */
export class TransientSourceError extends SourceError {
  public readonly status?: number;
  public constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientSourceError';
    this.status = status;
  }
}

/** Source configuration (auth kind, secret shape) is unusable. */
export class SourceConfigurationError extends SourceError {
  public constructor(message: string) {
    super(message);
    this.name = 'SourceConfigurationError';
  }
}
