import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { peekMessages, releaseMessages } from '../../../shared/operator/peekMessages.js';

// Listing a queue without consuming it, against a mocked SQS: what is asked, what is kept, what is released.
const sqsMock = mockClient(SQSClient);
afterEach(() => sqsMock.reset());
const QUEUE = 'https://sqs.test/1/dlq';

const message = (n: number, handle = true): Message => ({
  MessageId: `m${n}`,
  ...(handle ? { ReceiptHandle: `h${n}` } : {}),
  Body: '{}',
});
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => message(from + i));

describe('peekMessages', () => {
  it('receives in tens up to the maximum, each message once, with every attribute, then releases them all', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: range(1, 10) })
      .resolvesOnce({ Messages: range(11, 20) })
      .resolvesOnce({ Messages: range(21, 25) });
    const seen = await peekMessages(new SQSClient({}), QUEUE, { max: 25 });
    expect(seen.map((m) => m.MessageId)).toEqual(range(1, 25).map((m) => m.MessageId));
    const receives = sqsMock.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input);
    expect(receives).toHaveLength(3);
    expect(receives[0]).toEqual({
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    expect(receives[2]?.MaxNumberOfMessages).toBe(5);
    const releases = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .map((call) => call.args[0].input);
    expect(releases.map((release) => release.Entries?.length)).toEqual([10, 10, 5]);
    expect(releases[2]).toEqual({
      QueueUrl: QUEUE,
      Entries: range(21, 25).map((m, index) => ({
        Id: String(index),
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 0,
      })),
    });
  });

  it('stops when a receive brings nothing new (a message seen again, one without an id, or none)', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message(1), message(2)] })
      .resolvesOnce({ Messages: [message(2), { Body: 'no id' }] })
      .resolves({ Messages: [message(3)] });
    const seen = await peekMessages(new SQSClient({}), QUEUE, { visibilityTimeoutSeconds: 5 });
    expect(seen.map((m) => m.MessageId)).toEqual(['m1', 'm2']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBe(5);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);

    sqsMock.reset();
    sqsMock.on(ReceiveMessageCommand).resolves({});
    expect(await peekMessages(new SQSClient({}), QUEUE)).toEqual([]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(0);
  });

  it('asks for at most 100 by default, and releases what it saw when a receive fails', async () => {
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      const n = sqsMock.commandCalls(ReceiveMessageCommand).length;
      return { Messages: range(n * 10 - 9, n * 10) };
    });
    expect(await peekMessages(new SQSClient({}), QUEUE)).toHaveLength(100);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(10);

    sqsMock.reset();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: range(1, 3) })
      .rejects(new Error('throttled'));
    await expect(peekMessages(new SQSClient({}), QUEUE)).rejects.toThrow('throttled');
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toHaveLength(
      3,
    );
  });
});

describe('releaseMessages', () => {
  it('skips messages without a receipt handle, and batches with none left', async () => {
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    await releaseMessages(new SQSClient({}), QUEUE, [
      ...range(1, 10).map((m) => ({ ...m, ReceiptHandle: undefined })),
      message(11),
      message(12, false),
    ]);
    const releases = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .map((call) => call.args[0].input);
    expect(releases).toEqual([
      { QueueUrl: QUEUE, Entries: [{ Id: '0', ReceiptHandle: 'h11', VisibilityTimeout: 0 }] },
    ]);
  });
});
