import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { FailureCause, MessageSummary } from './types.js';

/**
 * Message attribute holding a dead letter's cause (JSON of `DeadLetterCause`). The body stays the
 * original delivery message, byte for byte, so a redrive is a plain re-send of the body (and the same
 * shape as a message SQS itself redrove after `maxReceiveCount`, which has no cause attribute).
 */
export const DEAD_LETTER_CAUSE_ATTRIBUTE = 'hlc-dead-letter-cause';
/** The outcome kind, as its own attribute so consumers can filter without parsing JSON. */
export const DEAD_LETTER_KIND_ATTRIBUTE = 'hlc-dead-letter-kind';

/** Why the deliverer dead-lettered a message itself. */
export const DeadLetterKind = {
  /** A 4xx (other than not-supported) or an unusable payload: it will never succeed. */
  terminal: 'terminal',
  /** A message that failed validation. */
  invalidMessage: 'invalid-message',
  /** Transient failures until the subscription's retry count was used up. */
  retriesExhausted: 'retries-exhausted',
} as const;
export type DeadLetterKind = (typeof DeadLetterKind)[keyof typeof DeadLetterKind];

/** The cause recorded with a dead-lettered message. No resource content. */
export interface DeadLetterCause extends FailureCause {
  readonly kind: DeadLetterKind;
  /** The SQS message id on the delivery queue. */
  readonly messageId: string;
  readonly resourceType?: string;
  readonly id?: string;
  readonly versionId?: string;
  readonly operation?: string;
  readonly subscriptionId?: string;
}

const MAX_DIAGNOSTICS = 1024;

/** The SendMessage input that dead-letters `body` with its cause, keeping its FIFO group. */
export const deadLetterInput = (options: {
  readonly queueUrl: string;
  readonly body: string;
  readonly groupId: string;
  readonly kind: DeadLetterKind;
  readonly cause: FailureCause;
  readonly summary: MessageSummary;
}): SendMessageCommandInput => {
  const { cause, summary } = options;
  const full: DeadLetterCause = {
    kind: options.kind,
    ...cause,
    // Undefined fields are left out by JSON.stringify below.
    diagnostics: cause.diagnostics?.slice(0, MAX_DIAGNOSTICS),
    messageId: summary.messageId,
    resourceType: summary.resourceType,
    id: summary.id,
    versionId: summary.versionId,
    operation: summary.operation,
    subscriptionId: summary.subscriptionId,
  };
  const fifo = options.queueUrl.endsWith('.fifo');
  return {
    QueueUrl: options.queueUrl,
    MessageBody: options.body,
    MessageAttributes: {
      [DEAD_LETTER_CAUSE_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(full) },
      [DEAD_LETTER_KIND_ATTRIBUTE]: { DataType: 'String', StringValue: options.kind },
    },
    // The SQS message id is unique per message: a retried send within 5 minutes is deduplicated.
    ...(fifo ? { MessageGroupId: options.groupId, MessageDeduplicationId: `dlq-${summary.messageId}` } : {}),
  };
};

/**
 * The cause of a dead-lettered message, from its attributes (SQS event records use `stringValue`,
 * ReceiveMessage results `StringValue`). Undefined for a message SQS redrove by itself.
 */
export const readDeadLetterCause = (
  attributes: Record<string, MessageAttributeValue | { stringValue?: string | undefined }> | undefined,
): DeadLetterCause | undefined => {
  const attribute = attributes?.[DEAD_LETTER_CAUSE_ATTRIBUTE];
  const raw =
    attribute && 'StringValue' in attribute
      ? attribute.StringValue
      : (attribute as { stringValue?: string } | undefined)?.stringValue;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as DeadLetterCause;
  } catch {
    return undefined;
  }
};
