import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageCommand,
  SQSClient,
  type SendMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryDeliveryAttempts } from '../../../shared/delivery/deliveryAttempts.js';
import { compileMapping } from '../../../shared/sqlTarget/compileMapping.js';
import type { SqlClient } from '../../../shared/sqlTarget/types.js';
import { messageGroupId, type DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { settleSqlBatch, type SqlBatchDeps } from '../../../shared/sqlWriter/settleSqlBatch.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { OBSERVATION_MAPPING, observation } from '../../helpers/sqlMappings.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111111111111/hlc-sql.fifo';
const DLQ = 'https://sqs.us-east-1.amazonaws.com/111111111111/hlc-sql-dlq.fifo';
const sqs = mockClient(SQSClient);

let sequence = 0;
const record = (message: DeliveryMessage | string, receiveCount = 1): SQSRecord =>
  ({
    messageId: `m${++sequence}`,
    receiptHandle: `rh${sequence}`,
    body: typeof message === 'string' ? message : JSON.stringify(message),
    attributes: {
      MessageGroupId: typeof message === 'string' ? 'raw' : messageGroupId(message),
      ApproximateReceiveCount: String(receiveCount),
    },
  }) as unknown as SQSRecord;

const upsert = (id: string): DeliveryMessage =>
  deliveryMessage({
    resourceType: 'Observation',
    id,
    versionId: '1',
    payload: { kind: 'inline', resource: observation(id) },
    subscription: { endpoint: 'sql://warehouse', maxAttempts: 3 },
  });

/** A database that cannot be reached: every query fails as a refused connection does. */
const unreachable: SqlClient = {
  query: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
  transaction: () =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
  close: () => Promise.resolve(),
};

const deps = (warn = vi.fn()): SqlBatchDeps => ({
  sqs: new SQSClient({ region: 'us-east-1' }),
  queueUrl: QUEUE,
  deadLetterQueueUrl: DLQ,
  targets: new Map([
    ['warehouse', { client: unreachable, mapping: compileMapping(OBSERVATION_MAPPING, 'test mapping') }],
  ]),
  defaultMaxAttempts: 3,
  backoff: { baseSeconds: 2, maxSeconds: 60, strategy: 'fixed' },
  now: () => Date.parse('2026-02-01T00:00:00Z'),
  warn,
});

beforeEach(() => sqs.reset());

describe('Function: settleSqlBatch', () => {
  it('sends a message that cannot be read to the SQL DLQ with its cause and the body unchanged', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const bad = record('{"not":"a delivery message"}');
    const [outcome] = await settleSqlBatch([bad], deps());
    expect(outcome?.final).toBe('dead-lettered');
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input as SendMessageCommandInput;
    expect(sent.QueueUrl).toBe(DLQ);
    expect(sent.MessageBody).toBe(bad.body);
    expect(sent.MessageAttributes).toBeDefined();
  });

  it('retries a record whose dead letter SQS refuses, so nothing is dropped, and says so without content', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const warn = vi.fn();
    const [outcome] = await settleSqlBatch([record('not json')], deps(warn));
    expect(outcome?.final).toBe('retry');
    expect(warn).toHaveBeenCalledWith('Could not send a failed record to the SQL DLQ; it will be retried', {
      messageId: expect.any(String),
      error: 'AccessDenied',
    });
  });

  it('retries writes to a database that is down with the backoff as visibility, and dead-letters on the last attempt', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const first = record(upsert('o1'), 1);
    const last = record(upsert('o2'), 3);
    const outcomes = await settleSqlBatch([first, last], deps());
    expect(outcomes.map((outcome) => outcome.final)).toEqual(['retry', 'dead-lettered']);
    const visibility = sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input;
    expect(visibility).toEqual({
      QueueUrl: QUEUE,
      Entries: [{ Id: '0', ReceiptHandle: first.receiptHandle, VisibilityTimeout: 2 }],
    });
    const cause = JSON.stringify(
      (sqs.commandCalls(SendMessageCommand)[0]?.args[0].input as SendMessageCommandInput).MessageAttributes,
    );
    expect(cause).toContain('PostgreSQL could not be reached');
  });

  it('backs off by the attempts counted, not the receives: a record received 6 times, failing for the first time, waits the first delay', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const received = record(upsert('o3'), 6);
    const outcomes = await settleSqlBatch([received], {
      ...deps(),
      attempts: new InMemoryDeliveryAttempts(),
      backoff: { baseSeconds: 2, maxSeconds: 60, strategy: 'exponential' },
      random: () => 1,
    });
    expect(outcomes.map((outcome) => outcome.final)).toEqual(['retry']);
    // Attempt 1: the base delay (2 s); by its receive count it would be 2 * 2^5 = 64, capped at 60.
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: received.receiptHandle, VisibilityTimeout: 2 },
    ]);
  });
});
