import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { releaseMessages } from './peekMessages.js';
import { unwrapDeliveryMessage } from './describeDlqMessage.js';

export interface RedriveResult {
  /** `move-task`: SQS StartMessageMoveTask; `copy`: receive, send to the source, delete. */
  readonly method: 'move-task' | 'copy';
  readonly moved: number;
  readonly failed: number;
  /** StartMessageMoveTask's handle (method `move-task`). */
  readonly taskHandle?: string;
  /** Per-failure reasons (SQS error codes; never message content). */
  readonly failures: readonly string[];
}

export interface RedriveOptions {
  readonly dlqUrl: string;
  /** The queue to move messages back to (the delivery queue). */
  readonly sourceQueueUrl: string;
  /** `auto` (default): try StartMessageMoveTask, fall back to copying when the endpoint lacks it. */
  readonly method?: 'auto' | 'move-task' | 'copy';
  /** Stop after this many messages (copy) / messages per second (move task). */
  readonly max?: number;
  /** Wait for a move task to finish (polling ListMessageMoveTasks). Default true. */
  readonly wait?: boolean;
  readonly onProgress?: (moved: number) => void;
}

const queueArn = async (sqs: Pick<SQSClient, 'send'>, url: string): Promise<string> => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`No ARN for queue ${url}`);
  return Attributes.QueueArn;
};

/** Errors meaning "this endpoint has no StartMessageMoveTask" (emulators), as opposed to real failures. */
const isUnsupported = (error: unknown): boolean => {
  const name = (error as { name?: string; Code?: string })?.name ?? '';
  const text = `${name} ${(error as Error)?.message ?? ''}`;
  return /UnsupportedOperation|InvalidAction|UnknownOperation|not (implemented|supported)|unknown action|404/i.test(
    text,
  );
};

/**
 * Moves dead-lettered messages back to the delivery queue. Uses SQS `StartMessageMoveTask` (which
 * redrives FIFO DLQs too) and, where the endpoint lacks it (fauxqs), receives each message, sends it
 * to the source queue with its original body, attributes and MessageGroupId and a fresh
 * deduplication id (a resend with the old one would be dropped inside the 5-minute window), then
 * deletes it from the DLQ. A wrapped `{ cause, message }` body is unwrapped to the original message.
 */
export const redriveDlq = async (
  sqs: Pick<SQSClient, 'send'>,
  options: RedriveOptions,
): Promise<RedriveResult> => {
  const method = options.method ?? 'auto';
  if (method !== 'copy') {
    try {
      return await moveTask(sqs, options);
    } catch (error) {
      if (method === 'move-task' || !isUnsupported(error)) throw error;
    }
  }
  return copyMessages(sqs, options);
};

const moveTask = async (sqs: Pick<SQSClient, 'send'>, options: RedriveOptions): Promise<RedriveResult> => {
  const [sourceArn, destinationArn] = await Promise.all([
    queueArn(sqs, options.dlqUrl),
    queueArn(sqs, options.sourceQueueUrl),
  ]);
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(options.max ? { MaxNumberOfMessagesPerSecond: options.max } : {}),
    }),
  );
  let moved = 0;
  let failed = 0;
  const failures: string[] = [];
  if (options.wait !== false) {
    for (;;) {
      const { Results = [] } = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }),
      );
      const task = Results.find((result) => result.TaskHandle === TaskHandle) ?? Results[0];
      moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
      options.onProgress?.(moved);
      if (!task || task.Status !== 'RUNNING') {
        if (task?.Status === 'FAILED') {
          failed = 1;
          failures.push(task.FailureReason ?? 'move task failed');
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return { method: 'move-task', moved, failed, failures, ...(TaskHandle ? { taskHandle: TaskHandle } : {}) };
};

const originalBody = (message: Message): string => {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return message.Body ?? '';
  }
  const { message: delivery, wrapper } = unwrapDeliveryMessage(body);
  return wrapper && delivery ? JSON.stringify(delivery) : (message.Body ?? '');
};

const copyMessages = async (
  sqs: Pick<SQSClient, 'send'>,
  options: RedriveOptions,
): Promise<RedriveResult> => {
  const fifo = options.sourceQueueUrl.endsWith('.fifo');
  const max = options.max ?? Number.POSITIVE_INFINITY;
  let moved = 0;
  let failed = 0;
  const failures: string[] = [];
  const skipped = new Set<string>();
  while (moved + failed < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved - failed),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const batch = Messages.filter((message) => !skipped.has(message.MessageId ?? ''));
    if (batch.length === 0) {
      await releaseMessages(sqs, options.dlqUrl, Messages);
      break;
    }
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.sourceQueueUrl,
        Entries: batch.map((message, index) => {
          const group = message.Attributes?.MessageGroupId;
          return {
            Id: String(index),
            MessageBody: originalBody(message),
            ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
              ? { MessageAttributes: message.MessageAttributes }
              : {}),
            ...(fifo ? { MessageGroupId: group ?? 'redrive', MessageDeduplicationId: randomUUID() } : {}),
          };
        }),
      }),
    );
    for (const failure of Failed) {
      failed += 1;
      failures.push(`${failure.Code ?? 'error'}${failure.Message ? `: ${failure.Message}` : ''}`);
      const message = batch[Number(failure.Id)];
      if (message?.MessageId) skipped.add(message.MessageId);
    }
    const sent = Successful.map((entry) => batch[Number(entry.Id)]).filter(
      (message): message is Message => !!message?.ReceiptHandle,
    );
    if (sent.length > 0) {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.dlqUrl,
          Entries: sent.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle as string,
          })),
        }),
      );
      for (const failure of deleted.Failed ?? []) {
        failures.push(`delete ${failure.Code ?? 'error'} (message may be redriven twice)`);
      }
    }
    moved += sent.length;
    options.onProgress?.(moved);
    // Failed sends stay in the DLQ: make them visible again now rather than after the timeout.
    await releaseMessages(
      sqs,
      options.dlqUrl,
      batch.filter((message) => skipped.has(message.MessageId ?? '')),
    );
  }
  return { method: 'copy', moved, failed, failures };
};
