import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { type BatchDeliveryDeps } from '../../../shared/delivery/batchTypes.js';
import { startBatchDelivery } from '../../../shared/delivery/deliverBatch.js';
import { deduplicationId } from '../../../shared/messages/deliveryMessage.js';
import { replicationTargetKey } from '../../../shared/replication/replicationTargetKey.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const sqs = mockClient(SQSClient);
const PREFIXED = { idPrefix: 'CDR1-', idPrefixSelector: '[a-zA-Z]+/[0-9]+' };

const setup = () => {
  const fake = new FakeHealthLake();
  const ledger = new InMemoryVersionLedger();
  const delivered = new InMemoryDeliveredVersions();
  const deps: BatchDeliveryDeps = {
    healthLake: () => fake,
    now: Date.now,
    ledger,
    delivered,
    sqs: new SQSClient({ region: 'us-east-1' }),
    telemetry: { settled: () => undefined, warn: () => undefined },
    config: {
      queueUrl: 'q',
      deadLetterQueueUrl: 'dlq',
      defaultMaxAttempts: 3,
      allowedEndpoints: new Set([TEST_ENDPOINT]),
    },
    random: () => 1,
  };
  return { fake, ledger, delivered, deps };
};

const observation = (id: string) => ({
  resourceType: 'Observation',
  id,
  meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
  subject: { reference: 'https://source.example.org/fhir/Patient/2' },
  performer: [{ reference: 'Practitioner/abc' }],
});

describe('Deliverer: Smile CDR replication extensions', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => {
    sqs.reset();
  });

  it('writes the rewritten resource under the prefixed id and records the delivered version by it', async () => {
    const { deps, fake, delivered } = setup();
    const message = deliveryMessage({
      resourceType: 'Observation',
      id: '3',
      payload: { kind: 'inline', resource: observation('3') },
      subscription: {
        replication: { ...PREFIXED, stripReferenceBaseUrl: 'https://source.example.org/fhir/' },
      },
    });
    const batch = startBatchDelivery([sqsRecord(message)], deps);
    await batch.done;
    expect(fake.calls).toEqual([
      {
        method: 'PUT',
        resourceType: 'Observation',
        id: 'CDR1-3',
        body: {
          ...observation('3'),
          id: 'CDR1-3',
          subject: { reference: 'Patient/CDR1-2' },
          performer: [{ reference: 'Practitioner/abc' }],
        },
      },
    ]);
    const byHealthLakeId = await delivered.getMany([
      { resourceKey: 'Observation/CDR1-3', endpoint: TEST_ENDPOINT },
    ]);
    expect([...byHealthLakeId.values()]).toEqual([expect.objectContaining({ versionId: '1' })]);
    const bySourceId = await delivered.getMany([{ resourceKey: 'Observation/3', endpoint: TEST_ENDPOINT }]);
    expect(bySourceId.size).toBe(0);
  });

  it('deletes the prefixed id', async () => {
    const { deps, fake } = setup();
    const message = deliveryMessage({
      id: '7',
      operation: 'delete',
      subscription: { replication: PREFIXED },
    });
    await startBatchDelivery([sqsRecord(message)], deps).done;
    expect(fake.calls).toEqual([{ method: 'DELETE', resourceType: 'Patient', id: 'CDR1-7' }]);
  });

  it('dead-letters a resource whose id exceeds 64 characters after prefixing, with the cause', async () => {
    const { deps, fake } = setup();
    const id = '1'.repeat(62);
    const message = deliveryMessage({ id, subscription: { replication: { idPrefix: 'LONG-' } } });
    const record = sqsRecord(message);
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    expect(fake.calls).toEqual([]);
    const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(readDeadLetterCause(sent?.MessageAttributes)).toMatchObject({
      kind: 'terminal',
      reason: 'replication',
      diagnostics: expect.stringMatching(/at most 64/),
    });
  });

  it('runs the selectors that froze the connector in one pass, delivering as Smile would', async () => {
    // The first four took seconds to minutes per delivery on a backtracking engine (issue 20, item 4).
    const selectors = [
      '.{0,64}'.repeat(7) + '!',
      '.{0,64}'.repeat(8) + '!',
      '.*.*.*!',
      '(a|aa)+b',
      '.{0,64}'.repeat(7),
    ];
    const { deps, fake } = setup();
    const id = 'a'.repeat(60);
    const subject = `Patient/${'a'.repeat(62)}`;
    const records = selectors.map((selector, index) =>
      sqsRecord(
        deliveryMessage({
          resourceType: 'Observation',
          id: `${id}${index}`,
          payload: {
            kind: 'inline',
            resource: { ...observation(`${id}${index}`), subject: { reference: subject } },
          },
          subscription: { id: `sub-${index}`, replication: { idPrefix: 'P-', idPrefixSelector: selector } },
        }),
        { groupId: `g${index}` },
      ),
    );
    const batch = startBatchDelivery(records, deps);
    for (const record of records) {
      await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'done' });
    }
    // Only the last selector matches: it prefixes the id and both references.
    const written = fake.calls.map((call) => {
      const body = call.body as { subject: { reference: string }; performer: { reference: string }[] };
      return [call.id, body.subject.reference, body.performer[0]?.reference];
    });
    expect(written).toEqual([
      [`${id}0`, subject, 'Practitioner/abc'],
      [`${id}1`, subject, 'Practitioner/abc'],
      [`${id}2`, subject, 'Practitioner/abc'],
      [`${id}3`, subject, 'Practitioner/abc'],
      [`P-${id}4`, `Patient/P-${'a'.repeat(62)}`, 'Practitioner/P-abc'],
    ]);
  });

  it('never runs the selector on a reference id longer than 64 characters: dead-lettered, naming the path', async () => {
    const { deps, fake } = setup();
    const long = `${'a'.repeat(4000)}`;
    const resource = { ...observation('3'), subject: { reference: `Patient/${long}` } };
    const message = deliveryMessage({
      resourceType: 'Observation',
      id: '3',
      payload: { kind: 'inline', resource },
      subscription: { replication: { idPrefix: 'P-', idPrefixSelector: '.*.*.*!' } },
    });
    const record = sqsRecord(message);
    const batch = startBatchDelivery([record], deps);
    await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'dead-lettered' });
    expect(fake.calls).toEqual([]);
    const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    const cause = readDeadLetterCause(sent?.MessageAttributes);
    expect(cause).toMatchObject({ kind: 'terminal', reason: 'replication' });
    expect(cause?.diagnostics).toBe(
      'Observation.subject.reference: the id is 4000 characters, so it is not a FHIR id (at most 64); replicate-id-prefix-selector is not run on it',
    );
    expect(JSON.stringify(sent?.MessageAttributes)).not.toContain('aaaa');
  });

  it('dead-letters a reference that would exceed 64 characters, naming its path', async () => {
    const { deps } = setup();
    const long = '2'.repeat(62);
    const resource = { ...observation('3'), subject: { reference: `Patient/${long}` } };
    const message = deliveryMessage({
      resourceType: 'Observation',
      id: '3',
      payload: { kind: 'inline', resource },
      subscription: { replication: { idPrefix: 'LONG-' } },
    });
    await startBatchDelivery([sqsRecord(message)], deps).done;
    const [sent] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    const cause = readDeadLetterCause(sent?.MessageAttributes);
    expect(cause).toMatchObject({ reason: 'replication' });
    expect(cause?.diagnostics).toContain('Observation.subject.reference');
    expect(cause?.diagnostics).not.toContain(long);
  });

  it('supersedes an older version only by a newer one enqueued for the same prefix', async () => {
    const { deps, fake, ledger } = setup();
    // v2 matched only the unprefixed subscription on the same data store.
    await ledger.recordSourceVersion('Patient/5', {
      versionId: '2',
      lastUpdated: '2026-01-02T00:00:00.000Z',
      deleted: false,
      endpoints: [TEST_ENDPOINT],
    });
    const older = deliveryMessage({ id: '5', subscription: { replication: PREFIXED } });
    await startBatchDelivery([sqsRecord(older)], deps).done;
    expect(fake.calls.map((call) => call.id)).toEqual(['CDR1-5']);

    await ledger.recordSourceVersion('Patient/6', {
      versionId: '2',
      lastUpdated: '2026-01-02T00:00:00.000Z',
      deleted: false,
      endpoints: [replicationTargetKey(TEST_ENDPOINT, PREFIXED)],
    });
    const superseded = deliveryMessage({ id: '6', subscription: { replication: PREFIXED } });
    const settled = await startBatchDelivery([sqsRecord(superseded)], deps).done;
    expect(settled[0]?.outcome.kind).toBe('stale-skipped');
  });

  it('gives copies under different prefixes different deduplication ids', () => {
    const a = deliveryMessage({ subscription: { replication: { idPrefix: 'A-' } } });
    const b = deliveryMessage({ subscription: { replication: { idPrefix: 'B-' } } });
    expect(deduplicationId(a)).not.toBe(deduplicationId(b));
    expect(deduplicationId(deliveryMessage())).toBe(deduplicationId(deliveryMessage()));
  });
});
