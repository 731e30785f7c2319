import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { type BatchDeliveryDeps } from '../../../shared/delivery/batchTypes.js';
import { startBatchDelivery } from '../../../shared/delivery/deliverBatch.js';
import { DeliveryError, RecordFailedError } from '../../../shared/delivery/errors.js';
import { HealthLakeError } from '../../../shared/healthlake/errors.js';
import { deliveryMessage, sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { batchDeliverySetup } from '../../helpers/batchDelivery.js';

const sqs = mockClient(SQSClient);
const NOW = Date.parse('2026-01-01T00:01:00.000Z');
const TIME_LIMIT = {
  connectTimeoutMs: 1_000,
  responseTimeoutMs: 2_000,
  settleReserveMs: 500,
  deferDelaySeconds: 2,
};

const setup = (overrides: Partial<BatchDeliveryDeps> = {}) =>
  batchDeliverySetup({ now: () => NOW, ...overrides });

const dlqCauses = () =>
  sqs
    .commandCalls(SendMessageCommand)
    .map((call) => readDeadLetterCause(call.args[0].input.MessageAttributes));
const visibilityEntries = () =>
  sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input.Entries);

describe('startBatchDelivery: edges', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => {
    sqs.reset();
    vi.restoreAllMocks();
  });

  describe('time limit', () => {
    it('cuts each HealthLake request at the settle reserve of the time left', async () => {
      const { deps, fake } = setup({ config: { ...setup().deps.config, timeLimit: TIME_LIMIT } });
      const record = sqsRecord(deliveryMessage());
      const batch = startBatchDelivery([record], deps, () => 10_000);
      await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'done' });
      expect(fake.requestOptions).toEqual([{ timeoutMs: 9_500 }]);
    });

    it('defers a record it has no time to start, with the short delay, without sending it', async () => {
      const { deps, fake } = setup({ config: { ...setup().deps.config, timeLimit: TIME_LIMIT } });
      const remaining = [10_000, 3_000];
      const record = sqsRecord(deliveryMessage(), { receiveCount: 1 });
      const batch = startBatchDelivery([record], deps, () => remaining.shift() ?? 3_000);
      await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
      expect((await batch.done)[0]).toMatchObject({
        disposition: 'retry',
        retryDelaySeconds: 2,
        outcome: { kind: 'transient-failure', cause: { reason: 'time-limit', attempt: 1 } },
      });
      expect(visibilityEntries()).toEqual([
        [{ Id: '0', ReceiptHandle: record.receiptHandle, VisibilityTimeout: 2 }],
      ]);
      expect(fake.calls).toHaveLength(0);
    });

    it('sets no request timeout without both a time limit and the remaining time', async () => {
      const withoutLimit = setup();
      const first = sqsRecord(deliveryMessage());
      await startBatchDelivery([first], withoutLimit.deps, () => 10_000).settle(first);
      expect(withoutLimit.fake.requestOptions).toEqual([undefined]);

      const withoutClock = setup({ config: { ...setup().deps.config, timeLimit: TIME_LIMIT } });
      const second = sqsRecord(deliveryMessage());
      await startBatchDelivery([second], withoutClock.deps).settle(second);
      expect(withoutClock.fake.requestOptions).toEqual([undefined]);
    });
  });

  describe('what a cause says about an error', () => {
    const metadataError = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: {},
    });
    it.each([
      [
        'an unknown error, by its name only (it may hold content)',
        new TypeError('Patient Jane Doe'),
        'TypeError',
      ],
      ['an AWS SDK error, with its message', metadataError, 'ThrottlingException: Rate exceeded'],
      [
        'a delivery error, with its message',
        new DeliveryError('state read failed'),
        'DeliveryError: state read failed',
      ],
      [
        'a HealthLake error, with its message',
        new HealthLakeError('signing failed'),
        'HealthLakeError: signing failed',
      ],
      ['a thrown non-error', 'Patient Jane Doe', 'unknown error'],
    ])('describes %s', async (_, error, described) => {
      const { deps, ledger } = setup();
      vi.spyOn(ledger, 'getLatest').mockRejectedValue(error);
      const record = sqsRecord(deliveryMessage(), { receiveCount: 1 });
      const batch = startBatchDelivery([record], deps);
      await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
      expect((await batch.done)[0]?.outcome).toEqual({
        kind: 'transient-failure',
        cause: {
          reason: 'state-unavailable',
          attempt: 1,
          at: new Date(NOW).toISOString(),
          diagnostics: described,
        },
      });
    });
  });

  it('retries a record whose delivery threw unexpectedly, with the error described', async () => {
    const { deps, fake } = setup();
    fake.responder = () => new RangeError('Patient Jane Doe');
    const record = sqsRecord(deliveryMessage(), { receiveCount: 1 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    expect((await batch.done)[0]?.outcome).toEqual({
      kind: 'transient-failure',
      cause: { reason: 'error', attempt: 1, at: new Date(NOW).toISOString(), diagnostics: 'RangeError' },
    });
  });

  it('retries a delivered record whose delivered version could not be recorded', async () => {
    const { deps, fake, delivered } = setup();
    vi.spyOn(delivered, 'record').mockRejectedValue(new DeliveryError('table unavailable'));
    const record = sqsRecord(deliveryMessage(), { receiveCount: 1 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    expect(fake.calls).toHaveLength(1);
    expect((await batch.done)[0]).toMatchObject({
      disposition: 'retry',
      outcome: {
        kind: 'transient-failure',
        cause: { reason: 'state-unavailable', diagnostics: 'DeliveryError: table unavailable' },
      },
    });
  });

  it('records a delivered delete as deleted, and the end-to-end latency from ingest', async () => {
    const { deps, delivered, settled } = setup();
    const message = deliveryMessage({
      operation: 'delete',
      versionId: '4',
      trace: { ingestedAt: new Date(NOW - 1_250).toISOString() },
    });
    const record = sqsRecord(message);
    await expect(startBatchDelivery([record], deps).settle(record)).resolves.toMatchObject({
      disposition: 'done',
      outcome: { kind: 'deleted' },
      endToEndLatencyMs: 1_250,
    });
    const versions = await delivered.getMany([{ resourceKey: 'Patient/p1', endpoint: TEST_ENDPOINT }]);
    expect([...versions.values()]).toEqual([
      { versionId: '4', lastUpdated: message.lastUpdated, deleted: true },
    ]);
    expect(settled).toHaveLength(1);
  });

  it('skips a version older than the one already delivered to the endpoint', async () => {
    const { deps, fake, delivered } = setup();
    const target = { resourceKey: 'Patient/p1', endpoint: TEST_ENDPOINT };
    await delivered.record(target, {
      versionId: '5',
      lastUpdated: '2026-01-01T00:00:05.000Z',
      deleted: false,
    });
    const getMany = vi.spyOn(delivered, 'getMany');
    const record = sqsRecord(
      deliveryMessage({ versionId: '3', subscription: { deliverLatestVersion: false } }),
    );
    await expect(startBatchDelivery([record], deps).settle(record)).resolves.toMatchObject({
      disposition: 'done',
      outcome: { kind: 'stale-skipped', against: 'delivered', newer: { versionId: '5' } },
    });
    expect(getMany).toHaveBeenCalledWith([target]);
    expect(fake.calls).toHaveLength(0);
  });

  it('reads the state only for the valid records of a batch, and not at all when none is valid', async () => {
    const { deps, ledger, delivered } = setup();
    const getLatest = vi.spyOn(ledger, 'getLatest');
    const getMany = vi.spyOn(delivered, 'getMany');
    const invalid = sqsRecord('not json', { groupId: 'g1' });
    await startBatchDelivery([invalid], deps).done;
    expect(getLatest).not.toHaveBeenCalled();
    expect(getMany).not.toHaveBeenCalled();

    const valid = sqsRecord(deliveryMessage({ id: 'a' }));
    await startBatchDelivery([invalid, valid], deps).done;
    expect(getLatest).toHaveBeenCalledWith(['Patient/a']);
    expect(getMany).toHaveBeenCalledWith([{ resourceKey: 'Patient/a', endpoint: TEST_ENDPOINT }]);
  });

  it('dead-letters an invalid record as a terminal failure, naming its SQS message', async () => {
    const { deps } = setup();
    const invalid = sqsRecord('not json', { groupId: 'g1' });
    await expect(startBatchDelivery([invalid], deps).settle(invalid)).resolves.toEqual({
      summary: { messageId: invalid.messageId },
      outcome: { kind: 'terminal-failure', cause: expect.objectContaining({ reason: 'invalid-message' }) },
      attempt: 1,
      disposition: 'dead-lettered',
    });
    expect(dlqCauses()[0]).toMatchObject({ kind: 'invalid-message', messageId: invalid.messageId });
  });

  it('dead-letters a record for an endpoint off the allow-list as a terminal failure, without a reason it lacks', async () => {
    const { deps } = setup({ config: { ...setup().deps.config, allowedEndpoints: new Set() } });
    const record = sqsRecord(deliveryMessage());
    await expect(startBatchDelivery([record], deps).settle(record)).resolves.toMatchObject({
      disposition: 'dead-lettered',
      outcome: { kind: 'terminal-failure', cause: { reason: 'endpoint-not-allowed' } },
    });
    expect(dlqCauses()[0]).not.toHaveProperty('diagnostics');
  });

  it('keys the delivered version by the source id when the replicated id is invalid, and dead-letters it', async () => {
    const { deps, delivered } = setup();
    const getMany = vi.spyOn(delivered, 'getMany');
    const record = sqsRecord(
      deliveryMessage({ subscription: { replication: { idPrefix: 'x'.repeat(63) } } }),
    );
    await expect(startBatchDelivery([record], deps).settle(record)).resolves.toMatchObject({
      disposition: 'dead-lettered',
      outcome: { kind: 'terminal-failure', cause: { reason: 'replication' } },
    });
    expect(getMany).toHaveBeenCalledWith([{ resourceKey: 'Patient/p1', endpoint: TEST_ENDPOINT }]);
  });

  it('holds back every later record of a failed group with one visibility change, and leaves them out of done', async () => {
    const { deps, fake, warnings } = setup();
    fake.responder = () => ({ status: 503, latencyMs: 1 });
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error('Patient Jane Doe'));
    const records = ['1', '2', '3'].map((versionId) => sqsRecord(deliveryMessage({ versionId })));
    const batch = startBatchDelivery(records, deps);
    const settled = await batch.done;
    expect(settled.map((settlement) => settlement.summary.versionId)).toEqual(['1']);
    expect(fake.calls).toHaveLength(1);
    await expect(batch.settle(records[2]!)).rejects.toThrow(
      `Record ${records[2]!.messageId} held back: an earlier message of its group failed`,
    );
    expect(visibilityEntries()[1]).toEqual([
      { Id: '0', ReceiptHandle: records[1]!.receiptHandle, VisibilityTimeout: 4 },
      { Id: '1', ReceiptHandle: records[2]!.receiptHandle, VisibilityTimeout: 4 },
    ]);
    expect(warnings).toEqual([
      [
        'Could not set the retry delay of a failed record',
        { messageId: records[0]!.messageId, error: 'Error' },
      ],
      ['Could not delay the held-back records of a failed group', { records: 2, error: 'Error' }],
    ]);
  });

  it('warns with the message id, and retries after the backoff, when the DLQ cannot be reached', async () => {
    const { deps, fake, warnings } = setup();
    fake.responder = () => ({ status: 400, latencyMs: 1 });
    sqs.on(SendMessageCommand).rejects(new Error('Patient Jane Doe'));
    const record = sqsRecord(deliveryMessage(), { receiveCount: 2 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    expect((await batch.done)[0]).toMatchObject({ disposition: 'retry', retryDelaySeconds: 8 });
    expect(warnings).toEqual([
      [
        'Could not send a failed record to the DLQ; it will be retried',
        { messageId: record.messageId, error: 'Error' },
      ],
    ]);
  });

  it('refuses to settle a record that is not in the batch', async () => {
    const { deps } = setup();
    const batch = startBatchDelivery([sqsRecord(deliveryMessage())], deps);
    const stranger = sqsRecord(deliveryMessage({ id: 'other' }));
    await expect(batch.settle(stranger)).rejects.toThrow(`Record ${stranger.messageId} is not in this batch`);
  });

  it('leaves no unhandled rejection when the state read fails and no record waits for it', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const { deps, ledger } = setup({ config: { ...setup().deps.config, allowedEndpoints: new Set() } });
      vi.spyOn(ledger, 'getLatest').mockRejectedValue(new Error('throttled'));
      const record = sqsRecord(deliveryMessage());
      await startBatchDelivery([record], deps).done;
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});
