import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWorkMessage } from '../../../shared/backfill/parseWorkMessage.js';
import { SqsWorkQueue } from '../../../shared/backfill/SqsWorkQueue.js';
import type { WorkMessage } from '../../../shared/backfill/types.js';

const sqsMock = mockClient(SQSClient);
afterEach(() => sqsMock.reset());

const messages = (count: number): WorkMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    jobId: 'job-1',
    task: 'ids',
    searchIndex: i,
    pageNumber: 0,
    ids: [`Patient/p${i}`],
  }));

describe('SqsWorkQueue', () => {
  it('sends in batches of ten', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsWorkQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://q' }).send(
      messages(23),
    );
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const body = calls[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '';
    expect(parseWorkMessage(body)).toEqual(messages(1)[0]);
  });

  it('retries the entries SQS reports as failed, once', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    await new SqsWorkQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://q' }).send(
      messages(3),
    );
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Id)).toEqual(['1']);
  });

  it('throws when entries keep failing, so no page is dropped silently', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await expect(
      new SqsWorkQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://q' }).send(
        messages(1),
      ),
    ).rejects.toThrow(/rejected 1 work message/);
  });
});

describe('parseWorkMessage', () => {
  it('rejects a message that is not a work message', () => {
    expect(() =>
      parseWorkMessage('{"jobId":"j","task":"ids","searchIndex":0,"pageNumber":0,"ids":["not a key"]}'),
    ).toThrow();
    expect(() => parseWorkMessage('nope')).toThrow();
  });
});
