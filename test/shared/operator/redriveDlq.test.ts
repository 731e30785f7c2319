import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redriveDlq } from '../../../shared/operator/redriveDlq.js';

const sqsMock = mockClient(SQSClient);
const sqs = () => new SQSClient({ region: 'us-east-1' });
const DLQ = 'https://sqs/1/delivery-dlq.fifo';
const SOURCE = 'https://sqs/1/delivery.fifo';

beforeEach(() => {
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: DLQ }).resolves({ Attributes: { QueueArn: 'arn:dlq' } });
  sqsMock
    .on(GetQueueAttributesCommand, { QueueUrl: SOURCE })
    .resolves({ Attributes: { QueueArn: 'arn:source' } });
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
});
afterEach(() => sqsMock.reset());

describe('Function: redriveDlq with a message move task', () => {
  it('starts a move task from the DLQ to its source, at the rate asked, and reports what it moved', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        { TaskHandle: 'other', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 99 },
        { TaskHandle: 'task-1', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7 },
      ],
    });
    const progress: number[] = [];
    const result = await redriveDlq(sqs(), {
      dlqUrl: DLQ,
      sourceQueueUrl: SOURCE,
      max: 5,
      onProgress: (n) => progress.push(n),
    });
    expect(result).toEqual({ method: 'move-task', moved: 7, failed: 0, failures: [], taskHandle: 'task-1' });
    expect(progress).toEqual([7]);
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: 'arn:dlq',
      DestinationArn: 'arn:source',
      MaxNumberOfMessagesPerSecond: 5,
    });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0]?.args[0].input).toEqual({
      SourceArn: 'arn:dlq',
      MaxResults: 1,
    });
  });

  it('reports a failed task with its reason, and returns at once without waiting', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-2' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolves({ Results: [{ TaskHandle: 'task-2', Status: 'FAILED' }] });
    expect(await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE, method: 'move-task' })).toEqual({
      method: 'move-task',
      moved: 0,
      failed: 1,
      failures: ['move task failed'],
      taskHandle: 'task-2',
    });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).not.toHaveProperty(
      'MaxNumberOfMessagesPerSecond',
    );
    sqsMock.resetHistory();
    const started = await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE, wait: false });
    expect(started).toEqual({ method: 'move-task', moved: 0, failed: 0, failures: [], taskHandle: 'task-2' });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(0);
  });

  it('falls back to copying only when move tasks are unsupported, and never when move-task was asked', async () => {
    const unsupported = Object.assign(new Error('UnsupportedOperation'), { name: 'UnsupportedOperation' });
    sqsMock.on(StartMessageMoveTaskCommand).rejects(unsupported);
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    expect(await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE })).toEqual({
      method: 'copy',
      moved: 0,
      failed: 0,
      failures: [],
    });
    await expect(
      redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE, method: 'move-task' }),
    ).rejects.toThrow('UnsupportedOperation');
    sqsMock.on(StartMessageMoveTaskCommand).rejects(new Error('AccessDenied'));
    await expect(redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE })).rejects.toThrow('AccessDenied');
  });

  it('polls a running task once a second until it ends, reporting progress, and takes the first task when its handle is not listed', async () => {
    vi.useFakeTimers();
    try {
      sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
      sqsMock
        .on(ListMessageMoveTasksCommand)
        .resolvesOnce({
          Results: [{ TaskHandle: 'task-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3 }],
        })
        .resolvesOnce({
          Results: [{ TaskHandle: 'renamed', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 5 }],
        })
        .resolves({
          Results: [{ TaskHandle: 'renamed', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 8 }],
        });
      const progress: number[] = [];
      const pending = redriveDlq(sqs(), {
        dlqUrl: DLQ,
        sourceQueueUrl: SOURCE,
        onProgress: (moved) => progress.push(moved),
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(progress).toEqual([3]);
      await vi.advanceTimersByTimeAsync(1);
      expect(progress).toEqual([3, 5]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await pending).toEqual({
        method: 'move-task',
        moved: 8,
        failed: 0,
        failures: [],
        taskHandle: 'task-1',
      });
      expect(progress).toEqual([3, 5, 8]);
      expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0]?.args[0].input).toEqual({
        SourceArn: 'arn:dlq',
        MaxResults: 1,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends with nothing moved when no task is listed, and names an unexplained failure', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({});
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({})
      .resolves({ Results: [{ Status: 'FAILED' }] });
    expect(await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE })).toEqual({
      method: 'move-task',
      moved: 0,
      failed: 0,
      failures: [],
    });
    expect(await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE })).toEqual({
      method: 'move-task',
      moved: 0,
      failed: 1,
      failures: ['move task failed'],
    });
  });

  it.each([
    ['InvalidAction', 'InvalidAction', 'x'],
    ['UnknownOperationException', 'Error', 'UnknownOperation'],
    ['not implemented', 'Error', 'StartMessageMoveTask is not implemented'],
    ['not supported', 'Error', 'operation not supported here'],
    ['unknown action', 'Error', 'Unknown action StartMessageMoveTask'],
    ['a 404', 'Error', 'HTTP 404'],
  ])('takes %s for an endpoint without move tasks and copies', async (_label, name, message) => {
    sqsMock.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error(message), { name }));
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    expect((await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE })).method).toBe('copy');
  });

  it('refuses a queue without an ARN', async () => {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: DLQ }).resolves({});
    await expect(
      redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE, method: 'move-task' }),
    ).rejects.toThrow(`No ARN for queue ${DLQ}`);
  });
});

describe('Function: redriveDlq by copying', () => {
  const message = (id: string, body: string, group?: string) => ({
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: body,
    ...(group ? { Attributes: { MessageGroupId: group } } : {}),
  });

  it('sends the original message of a wrapper, keeps groups, leaves failed sends in the DLQ and stops at max', async () => {
    const delivery = { schema: 'x', resourceType: 'Patient', id: 'p1' };
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          message('a', JSON.stringify({ original: delivery, error: 'boom' }), 'Patient/p1'),
          message('b', 'plain text'),
          message('c', JSON.stringify(delivery), 'Patient/p1'),
        ],
      })
      .resolves({ Messages: [message('d', '{}')] });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'n0', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'n2', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', Code: 'InvalidMessageContents', Message: 'bad', SenderFault: true }],
    });
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolves({ Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    const result = await redriveDlq(sqs(), { dlqUrl: DLQ, sourceQueueUrl: SOURCE, method: 'copy', max: 3 });
    expect(result).toEqual({
      method: 'copy',
      moved: 2,
      failed: 1,
      failures: [
        'InvalidMessageContents: bad',
        'delete ReceiptHandleIsInvalid (message may be redriven twice)',
      ],
    });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: DLQ,
      MaxNumberOfMessages: 3,
    });
    const entries = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((entry) => [entry.MessageBody, entry.MessageGroupId])).toEqual([
      [JSON.stringify(delivery), 'Patient/p1'],
      ['plain text', 'redrive'],
      [JSON.stringify(delivery), 'Patient/p1'],
    ]);
    expect(entries.every((entry) => typeof entry.MessageDeduplicationId === 'string')).toBe(true);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-a' },
      { Id: '1', ReceiptHandle: 'rh-c' },
    ]);
    // The failed message is made visible again at once.
    const released = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .map((call) => call.args[0].input.Entries);
    expect(released).toEqual([[expect.objectContaining({ ReceiptHandle: 'rh-b', VisibilityTimeout: 0 })]]);
  });

  it('sends no group to a standard queue, and stops when only failed messages come back', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [message('a', 'x', 'g')] });
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] });
    const result = await redriveDlq(sqs(), {
      dlqUrl: 'https://sqs/1/dlq',
      sourceQueueUrl: 'https://sqs/1/q',
      method: 'copy',
    });
    expect(result).toEqual({ method: 'copy', moved: 0, failed: 1, failures: ['Throttled'] });
    const entry = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).not.toHaveProperty('MessageGroupId');
    expect(entry).not.toHaveProperty('MessageDeduplicationId');
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});
