import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { startBatchDelivery } from '../../../shared/delivery/deliverBatch.js';
import { RecordFailedError } from '../../../shared/delivery/errors.js';
import { badRequest, serverError } from '../../../shared/fhir/outcomes.js';
import { DIAGNOSTICS_WITHHELD } from '../../../shared/healthlake/allowListedIssue.js';
import { HealthLakeClientPool } from '../../../shared/healthlake/HealthLakeClientPool.js';
import { deliveryMessage, sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { batchDeliverySetup, DLQ } from '../../helpers/batchDelivery.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const sqs = mockClient(SQSClient);

const setup = batchDeliverySetup;

const dlqSends = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);

describe('Function: startBatchDelivery', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => {
    sqs.reset();
  });

  it('settles delivered records as done and records the delivered version', async () => {
    const { deps, delivered, settled } = setup();
    const record = sqsRecord(deliveryMessage({ versionId: '3' }));
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({
      disposition: 'done',
      outcome: { kind: 'delivered' },
    });
    await batch.done;
    const versions = await delivered.getMany([{ resourceKey: 'Patient/p1', endpoint: TEST_ENDPOINT }]);
    expect([...versions.values()][0]).toMatchObject({ versionId: '3', deleted: false });
    expect(settled[0]?.endToEndLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reads the ledger once for the whole batch', async () => {
    const { deps, ledger } = setup();
    const spy = vi.spyOn(ledger, 'getLatest');
    const records = ['a', 'b', 'c'].map((id) => sqsRecord(deliveryMessage({ id })));
    const batch = startBatchDelivery(records, deps);
    await batch.done;
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[0]).toEqual(['Patient/a', 'Patient/b', 'Patient/c']);
  });

  it('sends a terminal failure to the DLQ with its cause, keeping the body and group, and reports success', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 422, latencyMs: 1, outcome: badRequest('Patient.gender: bad code') });
    const record = sqsRecord(deliveryMessage({ versionId: '2' }), { receiveCount: 1 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    const [sent] = dlqSends();
    expect(sent).toMatchObject({
      QueueUrl: DLQ,
      MessageBody: record.body,
      MessageGroupId: record.attributes.MessageGroupId,
      MessageDeduplicationId: `dlq-${record.messageId}`,
    });
    expect(readDeadLetterCause(sent?.MessageAttributes)).toMatchObject({
      kind: 'terminal',
      reason: 'http-status',
      status: 422,
      issueCode: 'invalid',
      diagnostics: DIAGNOSTICS_WITHHELD,
      attempt: 1,
      messageId: record.messageId,
      resourceType: 'Patient',
      id: 'p1',
      versionId: '2',
      subscriptionId: 'sub-1',
    });
  });

  it('dead-letters with the allow-listed diagnostics only: what HealthLake echoes never reaches the cause', async () => {
    const echoes = [
      'HAPI-0450: Failed to parse JSON: {"name":[{"family":"Smith","given":["Jane"]}]}',
      'Identifier 123-45-6789 already exists',
      "Family name O'Brien rejected",
    ];
    const { deps, fake } = setup();
    let answer = 0;
    fake.responder = () => ({
      status: 400,
      latencyMs: 1,
      errorType: 'Smith 123-45-6789',
      outcome: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'invalid',
            diagnostics: echoes[answer++ % echoes.length],
            expression: ['Patient.identifier[0].value', "Patient.name.where(family='Smith')"],
          },
        ],
      },
    });
    const records = ['a', 'b', 'c'].map((id) => sqsRecord(deliveryMessage({ id }), { receiveCount: 1 }));
    const batch = startBatchDelivery(records, deps);
    for (const record of records) {
      await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    }
    expect(dlqSends()).toHaveLength(3);
    for (const sent of dlqSends()) {
      const attributes = JSON.stringify(sent?.MessageAttributes);
      expect(attributes).not.toMatch(/Smith|Jane|123-45-6789|O'Brien|HAPI/);
      expect(readDeadLetterCause(sent?.MessageAttributes)).toMatchObject({
        issueCode: 'invalid',
        diagnostics: `${DIAGNOSTICS_WITHHELD} at Patient.identifier[0].value`,
      });
      expect(readDeadLetterCause(sent?.MessageAttributes)).not.toHaveProperty('errorType');
    }
  });

  it('sends an invalid message to the DLQ with the validation problems, without failing the batch', async () => {
    const { deps } = setup();
    const invalid = sqsRecord('{"schema":"nope"}', { groupId: 'g1' });
    const good = sqsRecord(deliveryMessage());
    const batch = startBatchDelivery([invalid, good], deps);
    await expect(batch.settle(invalid)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    await expect(batch.settle(good)).resolves.toMatchObject({ disposition: 'done' });
    const cause = readDeadLetterCause(dlqSends()[0]?.MessageAttributes);
    expect(cause).toMatchObject({ kind: 'invalid-message', reason: 'invalid-message' });
    expect(cause?.diagnostics).toContain('schema');
    expect(dlqSends()[0]?.MessageBody).toBe('{"schema":"nope"}');
  });

  it('retries a transient failure with a backoff visibility timeout and reports the record failed', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 503, latencyMs: 1, outcome: serverError() });
    const record = sqsRecord(deliveryMessage(), { receiveCount: 2 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    const visibility = sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input;
    // attempt 2, base 4 s: 8 s, jitter at its top (random = 1).
    expect(visibility?.Entries).toEqual([
      { Id: '0', ReceiptHandle: record.receiptHandle, VisibilityTimeout: 8 },
    ]);
    expect(dlqSends()).toHaveLength(0);
  });

  it('waits at least as long as the server’s Retry-After before the next attempt', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 429, latencyMs: 1, retryAfterSeconds: 120, outcome: serverError() });
    const record = sqsRecord(deliveryMessage(), { receiveCount: 2 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    // Backoff alone would be 8 s (attempt 2, base 4 s); the server asked for 120 s.
    const visibility = sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input;
    expect(visibility?.Entries).toEqual([
      { Id: '0', ReceiptHandle: record.receiptHandle, VisibilityTimeout: 120 },
    ]);
  });

  it('dead-letters a transient failure itself once the subscription’s attempts are used up', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 429, latencyMs: 1 });
    const message = deliveryMessage({ subscription: { maxAttempts: 2 } });
    const record = sqsRecord(message, { receiveCount: 2 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    // The cause states the attempts made and the most allowed.
    expect(readDeadLetterCause(dlqSends()[0]?.MessageAttributes)).toMatchObject({
      kind: 'retries-exhausted',
      status: 429,
      attempt: 2,
      maxAttempts: 2,
    });
  });

  it('backs off access denied for minutes (a configuration fault), and dead-letters it with the cause only on the last attempt', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 403, latencyMs: 1, errorType: 'AccessDeniedException' });
    const first = sqsRecord(deliveryMessage({ id: 'a' }), { receiveCount: 1 });
    const batch = startBatchDelivery([first], deps);
    await expect(batch.settle(first)).rejects.toBeInstanceOf(RecordFailedError);
    // attempt 1 of the access-denied backoff (60 s base), jitter at its top: 60 s, not the 4 s base.
    expect(
      sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries?.[0],
    ).toMatchObject({
      VisibilityTimeout: 60,
    });
    expect(dlqSends()).toHaveLength(0);
    const last = sqsRecord(deliveryMessage({ id: 'b' }), { receiveCount: 3 });
    await expect(startBatchDelivery([last], deps).settle(last)).resolves.toMatchObject({
      disposition: 'dead-lettered',
    });
    expect(readDeadLetterCause(dlqSends()[0]?.MessageAttributes)).toMatchObject({
      kind: 'retries-exhausted',
      reason: 'access-denied',
      status: 403,
      attempt: 3,
    });
  });

  it('caps a subscription’s attempts at the queue’s redrive limit, so the DLQ copy keeps its cause', async () => {
    const { deps, fake } = setup();
    fake.responder = () => ({ status: 503, latencyMs: 1 });
    const message = deliveryMessage({ subscription: { maxAttempts: 50 } });
    const record = sqsRecord(message, { receiveCount: 3 });
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    expect(readDeadLetterCause(dlqSends()[0]?.MessageAttributes)).toMatchObject({
      kind: 'retries-exhausted',
      status: 503,
      attempt: 3,
      maxAttempts: 3,
    });
  });

  it('stops a group at its first failure, holds its later records back, and lets other groups go on', async () => {
    const { deps, fake } = setup();
    fake.responder = (call) =>
      call.id === 'a' && (call.body as { meta: { versionId: string } }).meta.versionId === '1'
        ? { status: 500, latencyMs: 1 }
        : { status: 200, latencyMs: 1 };
    const a1 = sqsRecord(deliveryMessage({ id: 'a', versionId: '1' }));
    const a2 = sqsRecord(deliveryMessage({ id: 'a', versionId: '2' }));
    const b1 = sqsRecord(deliveryMessage({ id: 'b', versionId: '1' }));
    const batch = startBatchDelivery([a1, b1, a2], deps);
    await expect(batch.settle(a1)).rejects.toBeInstanceOf(RecordFailedError);
    await expect(batch.settle(b1)).resolves.toMatchObject({ disposition: 'done' });
    await expect(batch.settle(a2)).rejects.toThrow(/held back/);
    await batch.done;
    expect(fake.calls.map((call) => call.id)).toEqual(['a', 'b']);
    const holds = sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .map((call) => call.args[0].input.Entries);
    expect(holds).toContainEqual([{ Id: '0', ReceiptHandle: a2.receiptHandle, VisibilityTimeout: 4 }]);
  });

  it('does not let a not-supported drop or a terminal failure block the rest of its group', async () => {
    const { deps, fake } = setup();
    let call = 0;
    fake.responder = () => {
      call += 1;
      if (call === 1)
        return {
          status: 400,
          latencyMs: 1,
          outcome: {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'not-supported' }],
          },
        };
      if (call === 2) return { status: 409, latencyMs: 1 };
      return { status: 200, latencyMs: 1 };
    };
    const records = ['1', '2', '3'].map((v) => sqsRecord(deliveryMessage({ versionId: v })));
    const batch = startBatchDelivery(records, deps);
    const results = await Promise.all(records.map((record) => batch.settle(record)));
    expect(results.map((r) => r.outcome.kind)).toEqual([
      'not-supported-dropped',
      'terminal-failure',
      'delivered',
    ]);
  });

  it('skips a retried older version that arrives after a newer one in the same batch', async () => {
    const { deps, fake } = setup();
    const message = (versionId: string) =>
      deliveryMessage({ versionId, subscription: { deliverLatestVersion: false } });
    const records = [sqsRecord(message('5')), sqsRecord(message('2'), { receiveCount: 2 })];
    const batch = startBatchDelivery(records, deps);
    const results = await Promise.all(records.map((record) => batch.settle(record)));
    expect(results.map((r) => r.outcome.kind)).toEqual(['delivered', 'stale-skipped']);
    expect(fake.calls).toHaveLength(1);
  });

  it('delivers an older matching version when the newer recorded version went to no endpoint', async () => {
    const { deps, fake, ledger } = setup();
    await ledger.recordSourceVersion('Patient/p1', {
      versionId: '2',
      lastUpdated: '2026-01-01T00:00:02.000Z',
      deleted: false,
      endpoints: [TEST_ENDPOINT],
    });
    await ledger.recordSourceVersion('Patient/p1', {
      versionId: '3',
      lastUpdated: '2026-01-01T00:00:03.000Z',
      deleted: false,
      endpoints: [],
    });
    const record = sqsRecord(deliveryMessage({ versionId: '2' }));
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ outcome: { kind: 'delivered' } });
    expect(fake.calls.map((call) => (call.body as { meta: { versionId: string } }).meta.versionId)).toEqual([
      '2',
    ]);
  });

  it('skips an older version when the newer recorded version was enqueued for the same endpoint', async () => {
    const { deps, fake, ledger } = setup();
    await ledger.recordSourceVersion('Patient/p1', {
      versionId: '3',
      lastUpdated: '2026-01-01T00:00:03.000Z',
      deleted: false,
      endpoints: [TEST_ENDPOINT],
    });
    const record = sqsRecord(deliveryMessage({ versionId: '2' }));
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({
      disposition: 'done',
      outcome: { kind: 'stale-skipped', against: 'ledger', newer: { versionId: '3' } },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('retries every record when the version state cannot be read', async () => {
    const { deps, ledger } = setup();
    vi.spyOn(ledger, 'getLatest').mockRejectedValue(Object.assign(new Error('throttled'), { $metadata: {} }));
    const record = sqsRecord(deliveryMessage());
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    expect((await batch.done)[0]?.outcome).toMatchObject({ cause: { reason: 'state-unavailable' } });
  });

  it('retries a record whose DLQ send failed, rather than losing it', async () => {
    const { deps, fake, warnings } = setup();
    sqs.on(SendMessageCommand).rejects(new Error('KMS.ThrottlingException'));
    fake.responder = () => ({ status: 400, latencyMs: 1 });
    const record = sqsRecord(deliveryMessage());
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).rejects.toBeInstanceOf(RecordFailedError);
    expect(warnings[0]?.[0]).toMatch(/DLQ/);
  });

  it('dead-letters a message whose endpoint is not on the allow-list', async () => {
    const { deps, fake } = setup();
    const record = sqsRecord(deliveryMessage());
    const batch = startBatchDelivery([record], {
      ...deps,
      config: { ...deps.config, allowedEndpoints: new Set(['https://other.example/r4/']) },
    });
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    expect(fake.calls).toHaveLength(0);
    expect(readDeadLetterCause(dlqSends()[0]?.MessageAttributes)?.reason).toBe('endpoint-not-allowed');
  });

  it('fails closed: an empty allow-list delivers nothing and each cause says why', async () => {
    const { deps, fake } = setup();
    const record = sqsRecord(deliveryMessage());
    const problem = 'ALLOWED_HEALTHLAKE_ENDPOINTS and HEALTHLAKE_ENDPOINT are empty';
    const batch = startBatchDelivery([record], {
      ...deps,
      config: { ...deps.config, allowedEndpoints: new Set(), allowListProblem: problem },
    });
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    expect(fake.calls).toHaveLength(0);
    expect(readDeadLetterCause(dlqSends()[0]?.MessageAttributes)).toMatchObject({
      reason: 'endpoint-not-allowed',
      diagnostics: problem,
    });
  });
});

describe('Function: startBatchDelivery (clients per data store)', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => {
    sqs.reset();
  });

  it('asks the pool for allow-listed endpoints only, so it holds at most one client per allowed data store', async () => {
    const pool = new HealthLakeClientPool({
      credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
      region: 'us-east-1',
    });
    const asked: string[] = [];
    const { deps } = setup({
      healthLake: (endpoint) => {
        asked.push(endpoint);
        pool.get(endpoint);
        return new FakeHealthLake();
      },
    });
    // 100 messages naming 100 data stores, one of them allowed.
    const records = Array.from({ length: 100 }, (_, index) =>
      sqsRecord(
        deliveryMessage({
          id: `p${index}`,
          subscription: {
            endpoint:
              index === 0
                ? TEST_ENDPOINT
                : `https://healthlake.us-east-1.amazonaws.com/datastore/other${index}/r4/`,
          },
        }),
      ),
    );
    for (let start = 0; start < records.length; start += 10) {
      const batch = records.slice(start, start + 10);
      const delivery = startBatchDelivery(batch, deps);
      for (const record of batch) await delivery.settle(record).catch(() => undefined);
      await delivery.done;
    }
    expect(asked).toEqual([TEST_ENDPOINT]);
    expect(pool.size).toBe(1);
    pool.destroy();
  });
});
