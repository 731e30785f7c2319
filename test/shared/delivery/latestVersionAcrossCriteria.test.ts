import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { type BatchDeliveryDeps } from '../../../shared/delivery/batchTypes.js';
import { startBatchDelivery } from '../../../shared/delivery/deliverBatch.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { IncomingWrite } from '../../../shared/ingest/types.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import type { StoredSubscription } from '../../../shared/subscriptions/SubscriptionStore.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { sqsRecord, TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';
import { observation, RecordingQueue } from '../../helpers/ingestFakes.js';
import { channelExtension, makeSubscription } from '../../helpers/subscriptions.js';

const sqs = mockClient(SQSClient);
const NOW = new Date('2026-01-01T00:00:00.000Z');

/** Ingest (real criteria, real pipeline) and delivery sharing one ledger, as in a deployment. */
const setup = () => {
  const subscription = makeSubscription(
    {
      id: 'finals',
      status: 'active',
      criteria: 'Observation?status=final',
      meta: { versionId: '1', lastUpdated: NOW.toISOString() },
    },
    { endpoint: TEST_ENDPOINT, extension: [channelExtension.deliverLatestVersion(true)] },
  ) as StoredSubscription;
  const ledger = new InMemoryVersionLedger();
  const queue = new RecordingQueue();
  const matcher = new ActiveSubscriptionCache({
    store: { list: async () => [subscription] },
    allowedEndpoints: [TEST_ENDPOINT],
  });
  const pipeline = new DefaultWritePipeline({ ledger, matcher, queue, now: () => NOW });
  const healthLake = new FakeHealthLake();
  const deps: BatchDeliveryDeps = {
    healthLake: () => healthLake,
    now: Date.now,
    ledger,
    delivered: new InMemoryDeliveredVersions(),
    sqs: new SQSClient({ region: 'us-east-1' }),
    telemetry: { settled: () => undefined, warn: () => undefined },
    config: {
      queueUrl: 'q',
      deadLetterQueueUrl: 'dlq',
      defaultMaxAttempts: 3,
      allowedEndpoints: new Set([TEST_ENDPOINT]),
    },
  };
  const deliver = async (messages: readonly DeliveryMessage[]) => {
    const records = messages.map((message) => sqsRecord(message));
    return startBatchDelivery(records, deps).done;
  };
  const version = (versionId: string, status: string): IncomingWrite => ({
    operation: 'upsert',
    resourceType: 'Observation',
    id: 'o1',
    resource: observation({ id: 'o1', status, meta: { versionId } }),
    source: 'ingest',
    requestId: `r${versionId}`,
  });
  const putVersions = () =>
    healthLake.calls.map((call) => (call.body as { meta: { versionId: string } }).meta.versionId);
  return { pipeline, queue, deliver, version, putVersions };
};

describe('Scenario: deliver-latest-version when a newer version leaves the criteria', () => {
  beforeEach(() => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => {
    sqs.reset();
  });

  it('delivers the last matching version even after a newer non-matching one was recorded', async () => {
    const { pipeline, queue, deliver, version, putVersions } = setup();
    await pipeline.accept([version('1', 'final')]);
    await pipeline.accept([version('2', 'final')]);
    await pipeline.accept([version('3', 'amended')]);
    expect(queue.messages.map((message) => message.versionId)).toEqual(['1', '2']);
    const settled = await deliver(queue.messages);
    expect(settled.map((settlement) => settlement.outcome.kind)).toEqual(['delivered', 'delivered']);
    expect(putVersions()).toEqual(['1', '2']);
  });

  it('still skips an older version once a newer matching one is on its way to the same endpoint', async () => {
    const { pipeline, queue, deliver, version, putVersions } = setup();
    await pipeline.accept([version('2', 'final')]);
    await pipeline.accept([version('3', 'final')]);
    const settled = await deliver(queue.messages);
    expect(settled.map((settlement) => settlement.outcome.kind)).toEqual(['stale-skipped', 'delivered']);
    expect(putVersions()).toEqual(['3']);
  });
});
