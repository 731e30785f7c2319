import { OperationOutcomeError, serviceUnavailable } from '../fhir/outcomes.js';

/**
 * The write could not be recorded and enqueued. Nothing was acknowledged: the client gets a 503 and
 * may retry the same request safely (retries are recognised by version / content hash, and FIFO
 * deduplication makes a repeated message harmless).
 */
export class EnqueueError extends OperationOutcomeError {
  public constructor(detail: string, cause?: unknown) {
    super(
      serviceUnavailable(`The write was not acknowledged: ${detail}. Retrying the same request is safe.`),
      cause,
    );
    this.name = 'EnqueueError';
  }
}
