import { SQSClient } from '@aws-sdk/client-sqs';
import { InMemoryDeliveredVersions } from '../../shared/versions/DeliveredVersions.js';
import type { BatchDeliveryDeps } from '../../shared/delivery/batchTypes.js';
import type { RecordSettlement } from '../../shared/delivery/types.js';
import { InMemoryVersionLedger } from '../../shared/versions/InMemoryVersionLedger.js';
import { TEST_ENDPOINT } from './deliveryMessages.js';
import { FakeHealthLake } from './healthLakeFake.js';

export const QUEUE = 'http://sqs.local/000000000000/hlc-delivery.fifo';
export const DLQ = 'http://sqs.local/000000000000/hlc-delivery-dlq.fifo';

/**
 * The dependencies of `startBatchDelivery` with in-memory state and a fake data store, recording
 * settlements and warnings. SQS calls go to a real client: mock it with aws-sdk-client-mock.
 */
export const batchDeliverySetup = (overrides: Partial<BatchDeliveryDeps> = {}) => {
  const fake = new FakeHealthLake();
  const settled: RecordSettlement[] = [];
  const warnings: [string, Record<string, unknown> | undefined][] = [];
  const ledger = new InMemoryVersionLedger();
  const delivered = new InMemoryDeliveredVersions();
  const deps: BatchDeliveryDeps = {
    healthLake: () => fake,
    now: Date.now,
    ledger,
    delivered,
    sqs: new SQSClient({ region: 'us-east-1' }),
    telemetry: {
      settled: (settlement) => settled.push(settlement),
      warn: (message, details) => warnings.push([message, details]),
    },
    config: {
      queueUrl: QUEUE,
      deadLetterQueueUrl: DLQ,
      defaultMaxAttempts: 3,
      backoff: { baseSeconds: 4 },
      allowedEndpoints: new Set([TEST_ENDPOINT]),
    },
    random: () => 1,
    ...overrides,
  };
  return { fake, settled, warnings, ledger, delivered, deps };
};
