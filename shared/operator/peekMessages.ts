import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Receives up to `max` messages without consuming them: each is received with a short visibility
 * timeout (so every message is seen once, FIFO groups included) and made visible again at the end.
 * SQS has no peek: every receive raises ApproximateReceiveCount, whatever the visibility timeout
 * (0 included, which would also show a FIFO group's first messages again and again). Each message is
 * received once per call, so a listing adds one; callers show the recorded delivery attempt instead.
 * Harmless on a DLQ, which has no redrive policy of its own.
 */
export const peekMessages = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  options: { max?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<Message[]> => {
  const max = options.max ?? 100;
  const seen: Message[] = [];
  const ids = new Set<string>();
  try {
    while (seen.length < max) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max - seen.length),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((message) => message.MessageId && !ids.has(message.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        ids.add(message.MessageId as string);
        seen.push(message);
      }
    }
  } finally {
    await releaseMessages(sqs, queueUrl, seen);
  }
  return seen;
};

/** Makes received messages visible again at once (visibility timeout 0), in batches of 10. */
export const releaseMessages = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> => {
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10).filter((message) => message.ReceiptHandle);
    if (batch.length === 0) continue;
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle as string,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
};
