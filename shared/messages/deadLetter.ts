import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_BYTES } from '../config/constants.js';
import type { FailureCause, MessageSummary } from './failureCause.js';

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

/** Byte budgets (UTF-8, as escaped in JSON) of the cause's text fields; they bound the attributes' size. */
const MAX_DIAGNOSTICS_BYTES = 1024;
const MAX_FIELD_BYTES = 128;

/** `value` cut at a character boundary so that its JSON string content takes at most `maxBytes`. */
const clip = <T extends string | undefined>(value: T, maxBytes: number): T => {
  if (value === undefined) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value as string) {
    bytes += Buffer.byteLength(JSON.stringify(char)) - 2;
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return value.slice(0, end) as T;
};

/** A number as JSON: finite values only (JSON has no Infinity/NaN). */
const finite = (value: number | undefined): number | undefined =>
  Number.isFinite(value) ? value : undefined;

/** The message attributes recording a dead letter's cause; every field bounded (see MAX_DEAD_LETTER_ATTRIBUTE_BYTES). */
export const deadLetterAttributes = (
  kind: DeadLetterKind,
  cause: FailureCause,
  summary: MessageSummary,
): Record<string, MessageAttributeValue> => {
  const full: DeadLetterCause = {
    kind,
    reason: clip(cause.reason, MAX_FIELD_BYTES) as FailureCause['reason'],
    status: finite(cause.status),
    issueCode: clip(cause.issueCode, MAX_FIELD_BYTES),
    // Undefined fields are left out by JSON.stringify below.
    diagnostics: clip(cause.diagnostics, MAX_DIAGNOSTICS_BYTES),
    errorType: clip(cause.errorType, MAX_FIELD_BYTES),
    attempt: finite(cause.attempt) ?? 0,
    maxAttempts: finite(cause.maxAttempts),
    at: clip(cause.at, MAX_FIELD_BYTES),
    retryAfterSeconds: finite(cause.retryAfterSeconds),
    messageId: clip(summary.messageId, MAX_FIELD_BYTES),
    resourceType: clip(summary.resourceType, MAX_FIELD_BYTES),
    id: clip(summary.id, MAX_FIELD_BYTES),
    versionId: clip(summary.versionId, MAX_FIELD_BYTES),
    operation: clip(summary.operation, MAX_FIELD_BYTES),
    subscriptionId: clip(summary.subscriptionId, MAX_FIELD_BYTES),
  };
  return {
    [DEAD_LETTER_CAUSE_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(full) },
    [DEAD_LETTER_KIND_ATTRIBUTE]: { DataType: 'String', StringValue: kind },
  };
};

/** Size of message attributes as SQS counts it against the message limit: name, type and value of each. */
export const messageAttributesBytes = (attributes: Record<string, MessageAttributeValue>): number =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '') +
      (value.BinaryValue?.byteLength ?? 0),
    0,
  );

/** The largest cause attributes `deadLetterAttributes` can build: every field at its budget. */
export const MAX_DEAD_LETTER_ATTRIBUTE_BYTES = ((): number => {
  const text = (bytes: number) => 'x'.repeat(bytes);
  const longestNumber = -Number.MAX_VALUE; // "-1.7976931348623157e+308": the longest JSON number
  const longestKind = Object.values(DeadLetterKind).reduce((a, b) => (a.length >= b.length ? a : b));
  const field = text(MAX_FIELD_BYTES);
  return messageAttributesBytes(
    deadLetterAttributes(
      longestKind,
      {
        reason: field as FailureCause['reason'],
        status: longestNumber,
        issueCode: field,
        diagnostics: text(MAX_DIAGNOSTICS_BYTES),
        errorType: field,
        attempt: longestNumber,
        maxAttempts: longestNumber,
        at: field,
        retryAfterSeconds: longestNumber,
      },
      {
        messageId: field,
        resourceType: field,
        id: field,
        versionId: field,
        operation: field as MessageSummary['operation'],
        subscriptionId: field,
      },
    ),
  );
})();

/**
 * The largest delivery message body sent inline: SQS's 1 MiB limit counts body and attributes, and a
 * message dead-lettered with its cause keeps its body, so the body leaves room for the cause.
 */
export const MAX_INLINE_MESSAGE_BYTES = SQS_MAX_MESSAGE_BYTES - MAX_DEAD_LETTER_ATTRIBUTE_BYTES;

/** The SendMessage input that dead-letters `body` with its cause, keeping its FIFO group. */
export const deadLetterInput = (options: {
  readonly queueUrl: string;
  readonly body: string;
  readonly groupId: string;
  readonly kind: DeadLetterKind;
  readonly cause: FailureCause;
  readonly summary: MessageSummary;
}): SendMessageCommandInput => {
  const { summary } = options;
  const fifo = options.queueUrl.endsWith('.fifo');
  return {
    QueueUrl: options.queueUrl,
    MessageBody: options.body,
    MessageAttributes: deadLetterAttributes(options.kind, options.cause, summary),
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
  // Stryker disable next-line ConditionalExpression: JSON.parse refuses a missing or empty value too (caught below)
  if (!raw) return undefined;
  // Stryker disable BlockStatement: an emptied catch block answers undefined as well
  try {
    return JSON.parse(raw) as DeadLetterCause;
  } catch {
    return undefined;
  }
  // Stryker restore BlockStatement
};
