/**
 * Harness for reconcile tests: a source stand-in (no auth) and a HealthLake stand-in (SigV4 via its
 * STS, read with `createHealthLakeReader` and `roleCredentials`, as the worker does), the job store
 * on dynalite, the real WritePipeline over an in-memory ledger whose messages are "delivered" straight
 * into the HealthLake store, and a `drain` loop that behaves like SQS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsStandins } from '../../../local/standins/aws.js';
import { awsClientConfig, createConnectorResources, startAwsStandins } from '../../../local/standins/aws.js';
import type { FhirStandin } from '../../../local/standins/healthlake/index.js';
import { startFhirSourceStandin, startHealthLakeStandin } from '../../../local/standins/healthlake/index.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { roleCredentials } from '../../../shared/healthlake/credentials.js';
import { createHealthLakeReader } from '../../../shared/healthlake/createHealthLakeReader.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { healthLakeIdOf, toHealthLakeResource } from '../../../shared/delivery/replicationTarget.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import type { ReplicationSettings } from '../../../shared/replication/types.js';
import { type ReconcileWorkerDeps } from '../../../shared/reconcile/PageContext.js';
import { createReconcileProcessor } from '../../../shared/reconcile/createReconcileProcessor.js';
import { DynamoReconcileJobStore } from '../../../shared/reconcile/DynamoReconcileJobStore.js';
import type { IdListLine, IdListSink } from '../../../shared/reconcile/IdListSink.js';
import type { ReconcileJob, ReconcileMessage, ReconcileStream } from '../../../shared/reconcile/types.js';
import type { ActiveSubscription } from '../../../shared/subscriptions/types.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';

export interface ReconcileHarness {
  readonly source: FhirStandin;
  readonly healthLake: FhirStandin;
  readonly jobs: DynamoReconcileJobStore;
  stop(): Promise<void>;
}

export const startReconcileHarness = async (): Promise<ReconcileHarness> => {
  const aws: AwsStandins = await startAwsStandins();
  const { stateTable } = await createConnectorResources({
    endpoints: {
      dynamoEndpoint: aws.dynamoEndpoint,
      sqsEndpoint: aws.sqsEndpoint,
      s3Endpoint: aws.s3Endpoint,
    },
    names: { prefix: `reconcile-${Date.now()}` },
  });
  const dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
  const jobs = new DynamoReconcileJobStore({
    client: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    tableName: stateTable,
  });
  const source = await startFhirSourceStandin({ port: 0 });
  const healthLake = await startHealthLakeStandin({ port: 0 });
  return {
    source,
    healthLake,
    jobs,
    stop: async () => {
      dynamo.destroy();
      await Promise.all([source.stop(), healthLake.stop(), aws.stop()]);
    },
  };
};

/** A worker over the harness for one subscription; `drain` runs its queue like SQS would. */
export const createWorker = (
  harness: ReconcileHarness,
  options: {
    criteria?: string;
    sendDeleteMessages?: boolean;
    status?: string;
    pageSize?: number;
    /** Smile replication settings of the subscription (the delivery below applies them, as the deliverer does). */
    replication?: ReplicationSettings;
  } = {},
) => {
  const subscription: ActiveSubscription = {
    id: 'sub-1',
    criteria: options.criteria ?? '[*]',
    endpoint: harness.healthLake.endpoint,
    sendDeleteMessages: options.sendDeleteMessages ?? true,
    deliverLatestVersion: true,
    stripVersionIds: false,
    ...(options.replication ? { replication: options.replication } : {}),
  };
  const criteria = compileCriteria(subscription.criteria);
  const ledger = new InMemoryVersionLedger();
  const delivered = new InMemoryDeliveredVersions();
  const deliveries: DeliveryMessage[] = [];
  const store = harness.healthLake.store;
  const pipeline = new DefaultWritePipeline({
    ledger,
    matcher: { match: (resource) => (criteria.matches(resource) ? [subscription] : []) },
    queue: {
      enqueue: async (batch) => {
        deliveries.push(...batch);
        // Written at the id HealthLake holds, ids and references rewritten, as deliverMessage does.
        for (const message of batch) {
          if (message.operation === 'delete') store.delete(message.resourceType, healthLakeIdOf(message));
          else if (message.payload?.kind === 'inline')
            store.put(toHealthLakeResource(message, message.payload.resource) as never);
        }
      },
    },
  });
  const queue: ReconcileMessage[] = [];
  const lines: IdListLine[] = [];
  const idLists: IdListSink = {
    location: (jobId) => `s3://bucket/reconcile/${jobId}/`,
    write: async (_jobId, _stream, _page, written) => {
      lines.push(...written);
    },
  };
  const credentials = roleCredentials({
    role: {
      roleArn: harness.healthLake.roleArn,
      ...(harness.healthLake.externalId ? { externalId: harness.healthLake.externalId } : {}),
    },
    connectorId: 'test',
    sts: {
      region: 'us-east-1',
      endpoint: harness.healthLake.stsEndpoint,
      credentials: harness.healthLake.baseCredentials,
    },
  }).provider;
  const deps: ReconcileWorkerDeps = {
    jobs: harness.jobs,
    subscriptions: {
      getSubscription: async () =>
        options.status && options.status !== 'active'
          ? { status: options.status }
          : { status: 'active', active: subscription },
    },
    queue: { send: async (messages) => void queue.push(...structuredClone(messages as ReconcileMessage[])) },
    source: new FhirClient({ baseUrl: harness.source.endpoint }),
    healthLake: (endpoint) =>
      createHealthLakeReader({
        endpoint,
        credentials,
        region: harness.healthLake.region,
        requestsPerSecond: 0,
      }),
    ledger,
    delivered,
    pipeline,
    compileCriteria,
    idLists,
    pageSize: options.pageSize ?? 3,
  };
  const process = createReconcileProcessor(deps);
  /** Processes queued messages until none are left; `duplicate` delivers each message twice. */
  const drain = async (
    drainOptions: { duplicate?: boolean; before?: (m: ReconcileMessage) => Promise<void> } = {},
  ) => {
    for (let guard = 0; queue.length > 0 && guard < 10_000; guard += 1) {
      const message = queue.shift() as ReconcileMessage;
      await drainOptions.before?.(message);
      await process(message);
      if (drainOptions.duplicate) await process(message);
    }
  };
  return {
    deps,
    process,
    queue,
    drain,
    ledger,
    delivered,
    deliveries,
    lines,
    subscription,
  };
};

/** A job as `POST $reconcile` stores it (queued, unplanned, compare of every type). */
export const newJob = (jobId: string, overrides: Partial<ReconcileJob> = {}): ReconcileJob => ({
  jobId,
  subscriptionId: 'sub-1',
  mode: 'compare',
  contentHash: false,
  scope: { resourceTypes: [], resourceIds: [], searchUrls: [] },
  state: 'queued',
  createdAt: new Date().toISOString(),
  planned: false,
  streams: [],
  streamsDone: 0,
  counts: {},
  samples: [],
  ...overrides,
});

let counter = 0;
/** A queued job as `POST $reconcile` creates it, with its plan message on the worker's queue. */
export const createJob = async (
  harness: ReconcileHarness,
  worker: ReturnType<typeof createWorker>,
  overrides: Partial<ReconcileJob> = {},
): Promise<string> => {
  counter += 1;
  const jobId = `job-${Date.now()}-${counter}`;
  await harness.jobs.create(newJob(jobId, overrides));
  worker.queue.push({ jobId, task: 'plan' });
  return jobId;
};

/** A stream as a plan writes it: page -1, its first page on the queue. */
export const newStream = (overrides: Partial<ReconcileStream> = {}): ReconcileStream => ({
  side: 'source',
  resourceType: 'Patient',
  query: 'Patient?',
  page: -1,
  nextEnqueued: true,
  done: false,
  ...overrides,
});
