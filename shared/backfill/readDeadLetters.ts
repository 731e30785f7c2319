import { resourceKey } from '../fhir/ids.js';
import { PermanentSourceError, TransientSourceError } from '../fhirClient/errors.js';
import { DeadLetterKind } from '../messages/deadLetter.js';
import { failureCause, FailureReason, type FailureCause } from '../messages/failureCause.js';
import type { UnreadableResource, WorkMessage } from './types.js';

/** The work message a dead-lettered read is kept as: a redrive to the backfill queue reads it again. */
export type RereadMessage = Extract<WorkMessage, { task: 'reread' }>;

/** One resource whose read from the source is given up, with why. Never resource content. */
export interface ReadDeadLetter {
  readonly message: RereadMessage;
  readonly kind: DeadLetterKind;
  readonly cause: FailureCause;
}

/** Where given-up reads go (the backfill DLQ, message attributes holding the cause). */
export interface ReadDeadLetterQueue {
  /** Resolves only when every dead letter was accepted; throws otherwise (the page is retried). */
  send(letters: readonly ReadDeadLetter[]): Promise<void>;
}

/**
 * Whether retrying the page can still help a read: a transient source error with receives left. A
 * refusal (4xx other than 404/410, a redirect, an answer over the cap) will not change by retrying.
 */
export const worthRetrying = (unreadable: UnreadableResource, receives: number, maxReceives: number) =>
  !(unreadable.error instanceof PermanentSourceError) && receives < maxReceives;

/**
 * The dead letter of a read given up on its `receives`-th delivery of the page: the cause names the
 * resource, the HTTP status or error kind, and the attempts (each receive ran the client's own retries,
 * which its message counts).
 */
export const readDeadLetter = (options: {
  readonly jobId: string;
  readonly stream: number;
  readonly unreadable: UnreadableResource;
  readonly receives: number;
  readonly maxReceives: number;
  /** Epoch ms. */
  readonly now: number;
}): ReadDeadLetter => {
  const { ref, error } = options.unreadable;
  const refused = error instanceof PermanentSourceError;
  const status =
    error instanceof PermanentSourceError || error instanceof TransientSourceError ? error.status : undefined;
  return {
    message: {
      jobId: options.jobId,
      task: 'reread',
      searchIndex: options.stream,
      pageNumber: 0,
      ids: [resourceKey(ref.resourceType, ref.id)],
    },
    kind: refused ? DeadLetterKind.terminal : DeadLetterKind.retriesExhausted,
    cause: failureCause(FailureReason.sourceRead, options.receives, options.now, {
      ...(status === undefined ? {} : { status }),
      errorType: error.name,
      // SourceError messages are written without content (status, attempts, what was asked).
      diagnostics: `read of ${resourceKey(ref.resourceType, ref.id)}: ${error.message}`,
      ...(refused ? {} : { maxAttempts: options.maxReceives }),
    }),
  };
};
