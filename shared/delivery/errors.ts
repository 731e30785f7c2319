import type { RecordSettlement } from './types.js';

/** Base class of the errors this module throws. */
export class DeliveryError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/**
 * Thrown from the per-record handler to report an SQS record as failed (it goes back to the queue with
 * a backoff, and the rest of its FIFO group waits).
 */
export class RecordFailedError extends DeliveryError {
  public constructor(public readonly settlement: RecordSettlement) {
    super(
      `Delivery of ${settlement.summary.resourceType ?? 'message'} ${settlement.summary.messageId} ` +
        `failed: ${settlement.disposition}`,
    );
    this.name = 'RecordFailedError';
  }
}

/** The payload a message points at cannot be used: terminal when missing or corrupt. */
export class PayloadError extends DeliveryError {
  public constructor(
    public readonly reason: 'payload-missing' | 'payload-corrupt' | 'payload-unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PayloadError';
  }
}

/**
 * A transform that could not run or answer: `transient` (throttled, timed out, its function failed)
 * is retried with the Subscription's backoff; `terminal` (not configured, not found) is dead-lettered
 * at once. The message names the transform and the failure, never the resource or what the function said.
 */
export class TransformError extends DeliveryError {
  public constructor(
    public readonly kind: 'transient' | 'terminal',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransformError';
  }
}
