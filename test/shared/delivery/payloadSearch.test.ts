import { checkSourceResource } from '../../../shared/ingest/checkSourceResource.js';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFhirSourceStandin, type FhirStandin } from '../../../local/standins/healthlake/index.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { type BatchDeliveryDeps } from '../../../shared/delivery/batchTypes.js';
import { startBatchDelivery } from '../../../shared/delivery/deliverBatch.js';
import { deliverMessage } from '../../../shared/delivery/deliverMessage.js';
import { type DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { badRequest, notSupported, serverError, tooManyRequests } from '../../../shared/fhir/outcomes.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const CRITERIA = 'Observation?_id=${matched_resource_id}&_include=Observation:subject';
const NOW = Date.parse('2026-01-01T00:00:10.000Z');
const sqs = mockClient(SQSClient);

/** An upsert of Observation/o1 from a Subscription with payload search. */
const message = (subscription: Partial<DeliveryMessage['subscription']> = {}) =>
  deliveryMessage({
    resourceType: 'Observation',
    id: 'o1',
    versionId: '2',
    subscription: { payloadSearchCriteria: CRITERIA, ...subscription },
  });

type Bundle = {
  type: string;
  entry: { fullUrl: string; resource: Record<string, unknown>; request: unknown }[];
};

describe('Payload search delivery (deliverMessage with subscription-payload-search-criteria)', () => {
  let source: FhirStandin;
  let reader: FhirClient;

  beforeAll(async () => {
    source = await startFhirSourceStandin();
    source.store.put({ resourceType: 'Patient', id: 'p1', active: true });
    source.store.put({
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/p1' },
    });
    reader = new FhirClient({
      baseUrl: source.endpoint,
      requestsPerSecond: 0,
      retry: { maxAttempts: 1 },
    });
  });
  afterAll(async () => source?.stop());
  afterEach(() => source.faults.reset());

  const setup = () => {
    const fake = new FakeHealthLake();
    const deps: DeliverMessageDeps = {
      healthLake: () => fake,
      source: async () => ({ reader, check: (value) => checkSourceResource(value) }),
      now: () => NOW,
    };
    return { fake, deps };
  };

  it('POSTs the search results as one transaction Bundle of PUTs instead of the payload', async () => {
    const { fake, deps } = setup();
    const outcome = await deliverMessage(message(), { attempt: 1 }, deps);
    expect(outcome).toEqual({ kind: 'delivered', status: 200, healthLakeLatencyMs: 3 });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ method: 'POST', resourceType: 'Bundle' });
    const bundle = fake.calls[0]?.body as Bundle;
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry.map((entry) => [entry.fullUrl, entry.request])).toEqual([
      ['Observation/o1', { method: 'PUT', url: 'Observation/o1' }],
      ['Patient/p1', { method: 'PUT', url: 'Patient/p1' }],
    ]);
    // The source's current state, not the message's payload (an inline Patient-like body).
    expect(bundle.entry[0]?.resource).toMatchObject({
      status: 'final',
      subject: { reference: 'Patient/p1' },
    });
  });

  it('applies the replication and strip-version-ids settings to every resource in the Bundle', async () => {
    const { fake, deps } = setup();
    await deliverMessage(
      message({ replication: { idPrefix: 'CDR1-' }, stripVersionIds: true }),
      { attempt: 1 },
      deps,
    );
    const bundle = fake.calls[0]?.body as Bundle;
    expect(bundle.entry.map((entry) => entry.request)).toEqual([
      { method: 'PUT', url: 'Observation/CDR1-o1' },
      { method: 'PUT', url: 'Patient/CDR1-p1' },
    ]);
    expect(bundle.entry[0]?.resource).toMatchObject({ subject: { reference: 'Patient/CDR1-p1' } });
    for (const entry of bundle.entry) {
      expect((entry.resource.meta as { versionId?: string } | undefined)?.versionId).toBeUndefined();
    }
  });

  it('classifies HealthLake answers to the Bundle like PUTs: 429 and 5xx transient, 400 terminal, not-supported terminal', async () => {
    const { fake, deps } = setup();
    const cases = [
      [{ status: 429, outcome: tooManyRequests('Rate exceeded') }, 'transient-failure'],
      [{ status: 500, outcome: serverError() }, 'transient-failure'],
      [{ status: 400, outcome: badRequest('Bundle has 161 entries') }, 'terminal-failure'],
      // Dropping the Bundle would drop its supported resources too.
      [{ status: 400, outcome: notSupported('ResourceType X is not supported.') }, 'terminal-failure'],
    ] as const;
    for (const [answer, kind] of cases) {
      fake.responder = () => ({ ...answer, latencyMs: 1 });
      expect(await deliverMessage(message(), { attempt: 1 }, deps)).toMatchObject({
        kind,
        cause: { reason: 'http-status', status: answer.status },
      });
    }
  });

  it('is transient when the source search fails with 5xx, terminal with 4xx, each with a clear cause', async () => {
    const { fake, deps } = setup();
    source.faults.failNext({ method: 'GET', resourceType: 'Observation' }, 'server-error');
    expect(await deliverMessage(message(), { attempt: 2 }, deps)).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'payload-search', status: 500, attempt: 2 },
    });
    source.faults.failNext({ method: 'GET', resourceType: 'Observation' }, 'invalid');
    expect(await deliverMessage(message(), { attempt: 1 }, deps)).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'payload-search', status: 400, diagnostics: expect.stringContaining('HTTP 400') },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('dead-letters (terminally) when the deliverer has no source server configured', async () => {
    const fake = new FakeHealthLake();
    const outcome = await deliverMessage(
      message(),
      { attempt: 1 },
      { healthLake: () => fake, now: () => NOW },
    );
    expect(outcome).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'payload-search', diagnostics: expect.stringContaining('sourceFhir.baseUrl') },
    });
  });

  it('replicates a delete as DELETE of the matched resource, without a search', async () => {
    const { fake, deps } = setup();
    const before = source.requests.length;
    const deletion = deliveryMessage({
      operation: 'delete',
      resourceType: 'Observation',
      id: 'o1',
      subscription: { payloadSearchCriteria: CRITERIA },
    });
    expect((await deliverMessage(deletion, { attempt: 1 }, deps)).kind).toBe('deleted');
    expect(fake.calls).toEqual([{ method: 'DELETE', resourceType: 'Observation', id: 'o1' }]);
    expect(source.requests.length).toBe(before);
  });

  describe('in a batch', () => {
    beforeEach(() => {
      sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
      sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    });
    afterEach(() => sqs.reset());

    const batchDeps = (
      fake: FakeHealthLake,
      delivered = new InMemoryDeliveredVersions(),
    ): BatchDeliveryDeps => ({
      healthLake: () => fake,
      source: async () => ({ reader, check: (value) => checkSourceResource(value) }),
      now: Date.now,
      ledger: new InMemoryVersionLedger(),
      delivered,
      sqs: new SQSClient({ region: 'us-east-1' }),
      telemetry: { settled: () => undefined, warn: () => undefined },
      config: {
        queueUrl: 'http://sqs.local/000000000000/q.fifo',
        deadLetterQueueUrl: 'http://sqs.local/000000000000/dlq.fifo',
        defaultMaxAttempts: 3,
        allowedEndpoints: new Set([TEST_ENDPOINT]),
      },
      random: () => 1,
    });

    it("records the matched resource's version as delivered, as the single-resource path does", async () => {
      const fake = new FakeHealthLake();
      const delivered = new InMemoryDeliveredVersions();
      const record = sqsRecord(message());
      const batch = startBatchDelivery([record], batchDeps(fake, delivered));
      await expect(batch.settle(record)).resolves.toMatchObject({ disposition: 'done' });
      const versions = await delivered.getMany([{ resourceKey: 'Observation/o1', endpoint: TEST_ENDPOINT }]);
      expect([...versions.values()][0]).toMatchObject({ versionId: '2', deleted: false });
    });

    it('retries a failed search, then dead-letters it with its cause', async () => {
      const fake = new FakeHealthLake();
      source.faults.failNext({ method: 'GET', resourceType: 'Observation' }, 'server-error', 2);
      const first = sqsRecord(message(), { receiveCount: 1 });
      const retried = startBatchDelivery([first], batchDeps(fake));
      await expect(retried.settle(first)).rejects.toThrow();
      expect((await retried.done)[0]).toMatchObject({ disposition: 'retry' });

      const last = sqsRecord(message(), { receiveCount: 3 });
      const given = startBatchDelivery([last], batchDeps(fake));
      await expect(given.settle(last)).resolves.toMatchObject({ disposition: 'dead-lettered' });
      const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
      expect(readDeadLetterCause(sent?.MessageAttributes)).toMatchObject({
        reason: 'payload-search',
        status: 500,
      });
    });
  });
});
