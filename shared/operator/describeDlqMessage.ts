import type { Message } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_CAUSE_ATTRIBUTE, readDeadLetterCause } from '../messages/deadLetter.js';

/** What `hlc dlq list` shows for one dead-lettered message. No resource content unless asked for. */
export interface DlqEntry {
  readonly messageId: string;
  /** When the message was first sent (to the source queue or the DLQ), ISO 8601. */
  readonly sentAt?: string;
  /**
   * SQS ApproximateReceiveCount. SQS has no peek: every receive raises it, each `hlc dlq list`
   * included, so it is not the number of delivery attempts (`attempts` is).
   */
  readonly receiveCount?: number;
  /** The delivery attempt the deliverer recorded when it dead-lettered the message. */
  readonly attempts?: number;
  readonly groupId?: string;
  readonly operation?: string;
  /** `Type/id`. */
  readonly resource?: string;
  readonly versionId?: string;
  readonly subscriptionId?: string;
  readonly source?: string;
  /** The recorded cause, or a note that none was recorded (dead-lettered by the redrive policy). */
  readonly cause: string;
  /** The message body, only with `showContent` (it may hold PHI). */
  readonly content?: unknown;
}

const CAUSE_KEYS = /cause|error|reason|failure/i;
/** Wrapper fields a dead-lettering consumer may put the original message under. */
const WRAPPED_KEYS = ['message', 'original', 'body', 'deliveryMessage'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Finds the delivery message inside a body: the body itself, or a wrapper `{ cause, message }`
 * (the wrapped message may itself be a JSON string).
 */
export const unwrapDeliveryMessage = (
  body: unknown,
): { message?: Record<string, unknown>; wrapper?: Record<string, unknown> } => {
  if (!isRecord(body)) return {};
  if (typeof body.schema === 'string' && 'resourceType' in body) return { message: body };
  for (const key of WRAPPED_KEYS) {
    const inner = typeof body[key] === 'string' ? parseJson(body[key] as string) : body[key];
    if (isRecord(inner) && 'resourceType' in inner) return { message: inner, wrapper: body };
  }
  return { wrapper: body };
};

const causeText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    const parts = ['code', 'status', 'name', 'message', 'diagnostics']
      .map((key) => value[key])
      .filter((part) => typeof part === 'string' || typeof part === 'number');
    // An unrecognised object may be resource content: name its fields, never print their values.
    return parts.length > 0
      ? parts.join(': ')
      : `(unrecognised cause with fields ${Object.keys(value).join(', ')})`;
  }
  return undefined;
};

/** How many attempts a dead letter had: made of allowed when its retries ran out, else the one it failed on. */
const attemptsText = (cause: { attempt: number; maxAttempts?: number; at: string }): string =>
  cause.maxAttempts === undefined
    ? `attempt ${cause.attempt} at ${cause.at}`
    : `gave up after ${cause.attempt} attempts of the ${cause.maxAttempts} allowed (the first and ${cause.maxAttempts - 1} retries); last at ${cause.at}`;

/**
 * Summarises a DLQ message: which resource version, which subscription, and the recorded cause, read
 * from message attributes named like `cause`/`error`/`failure` or from a `{ cause, message }` wrapper.
 */
export const describeDlqMessage = (message: Message, options: { showContent?: boolean } = {}): DlqEntry => {
  const body = parseJson(message.Body);
  const { message: delivery, wrapper } = unwrapDeliveryMessage(body);
  const causes: string[] = [];
  const recorded = readDeadLetterCause(message.MessageAttributes);
  if (recorded) {
    const detail = [
      recorded.kind,
      recorded.reason,
      recorded.status === undefined ? undefined : `HTTP ${recorded.status}`,
      recorded.issueCode,
      recorded.errorType,
      // Recorded diagnostics are allow-listed (allowListedIssue), but dead letters recorded before that
      // may hold a server's echo of the resource: shown only on request.
      recorded.diagnostics === undefined || options.showContent
        ? recorded.diagnostics
        : 'diagnostics hidden (--show-content)',
    ].filter((part) => part !== undefined && part !== '');
    causes.push(`${detail.join(' | ')} (${attemptsText(recorded)})`);
  }
  for (const [name, attribute] of Object.entries(message.MessageAttributes ?? {})) {
    if (name === DEAD_LETTER_CAUSE_ATTRIBUTE || !CAUSE_KEYS.test(name) || !attribute.StringValue) continue;
    causes.push(`${name}=${attribute.StringValue}`);
  }
  if (wrapper) {
    for (const [key, value] of Object.entries(wrapper)) {
      const text = CAUSE_KEYS.test(key) ? causeText(value) : undefined;
      if (text) causes.push(text);
    }
  }
  const attributes = message.Attributes ?? {};
  const sent = Number(attributes.SentTimestamp);
  const subscription = isRecord(delivery?.subscription) ? delivery.subscription : undefined;
  const trace = isRecord(delivery?.trace) ? delivery.trace : undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const resourceType = text(delivery?.resourceType) ?? recorded?.resourceType;
  const id = text(delivery?.id) ?? recorded?.id;
  return {
    messageId: message.MessageId ?? '',
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(attributes.ApproximateReceiveCount
      ? { receiveCount: Number(attributes.ApproximateReceiveCount) }
      : {}),
    ...(recorded && Number.isInteger(recorded.attempt) ? { attempts: recorded.attempt } : {}),
    ...(attributes.MessageGroupId ? { groupId: attributes.MessageGroupId } : {}),
    // A backfill work message (a dead-lettered source read) names its task instead.
    ...((text(delivery?.operation) ?? recorded?.operation ?? text(wrapper?.task))
      ? { operation: text(delivery?.operation) ?? recorded?.operation ?? text(wrapper?.task) }
      : {}),
    ...(resourceType && id ? { resource: `${resourceType}/${id}` } : {}),
    ...((text(delivery?.versionId) ?? recorded?.versionId)
      ? { versionId: text(delivery?.versionId) ?? recorded?.versionId }
      : {}),
    ...((text(subscription?.id) ?? recorded?.subscriptionId)
      ? { subscriptionId: text(subscription?.id) ?? recorded?.subscriptionId }
      : {}),
    ...(text(trace?.source) ? { source: text(trace?.source) } : {}),
    cause:
      causes.length > 0
        ? causes.join('; ')
        : 'no cause recorded (moved by the redrive policy after maxReceiveCount receives)',
    ...(options.showContent ? { content: body ?? message.Body } : {}),
  };
};
