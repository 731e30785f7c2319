/**
 * Over real sockets: fauxqs FIFO delivery queue (redrive to a FIFO DLQ) -> EventSourceMapping -> the
 * deliverer handler -> the HealthLake stand-in (SigV4 with credentials from its STS AssumeRole).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelivererHandler } from '../../../lambdas/deliverer/createDelivererHandler.js';
import { EventSourceMapping } from '../../../local/eventSourceMapping.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
  type ConnectorResources,
} from '../../../local/standins/aws.js';
import { startHealthLakeStandin, type FhirStandin } from '../../../local/standins/healthlake/index.js';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { DynamoDeliveredVersions } from '../../../shared/versions/DynamoDeliveredVersions.js';
import { roleCredentials, type HealthLakeCredentials } from '../../../shared/healthlake/credentials.js';
import { HealthLakeClientPool } from '../../../shared/healthlake/HealthLakeClientPool.js';
import {
  deduplicationId,
  messageGroupId,
  type DeliveryMessage,
} from '../../../shared/messages/deliveryMessage.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { deliveryMessage, waitFor } from '../../helpers/deliveryMessages.js';
import { parseAllowedEndpoints } from '../../../shared/subscriptions/endpoints.js';

interface Rig {
  readonly healthLake: FhirStandin;
  readonly ledger: InMemoryVersionLedger;
  readonly esm: EventSourceMapping;
  readonly credentials: HealthLakeCredentials;
  stop(): Promise<void>;
}

describe('Deliverer over real sockets (fauxqs -> event source mapping -> HealthLake stand-in)', () => {
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let sqs: SQSClient;
  let documents: DynamoDBDocumentClient;
  let s3: S3Client;
  let prefixCount = 0;
  const rigs: Rig[] = [];

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    aws = await startAwsStandins();
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    documents = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint)));
    s3 = new S3Client({ ...awsClientConfig(aws.s3Endpoint), forcePathStyle: true });
  });

  afterAll(async () => {
    for (const rig of rigs) await rig.stop();
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    sqs?.destroy();
    s3?.destroy();
    documents?.destroy();
    await aws?.stop();
  });

  /** Fresh queues, a fresh stand-in and a running deliverer for one scenario. */
  const rig = async (
    options: { credentialLifetimeSeconds?: number; maxReceiveCount?: number; externalId?: string } = {},
  ) => {
    prefixCount += 1;
    resources = await createConnectorResources({
      endpoints: aws,
      names: { prefix: `deliverer-it-${prefixCount}` },
      maxReceiveCount: options.maxReceiveCount ?? 3,
      visibilityTimeoutSeconds: 2,
    });
    const healthLake = await startHealthLakeStandin({
      notSupportedTypes: ['Basic'],
      validate: true,
      ...(options.credentialLifetimeSeconds === undefined
        ? {}
        : { credentialLifetimeSeconds: options.credentialLifetimeSeconds }),
    });
    const credentials = roleCredentials({
      role: {
        roleArn: healthLake.roleArn,
        ...(healthLake.externalId ? { externalId: options.externalId ?? healthLake.externalId } : {}),
      },
      connectorId: 'it',
      sts: {
        region: healthLake.region,
        endpoint: healthLake.stsEndpoint,
        credentials: healthLake.baseCredentials,
      },
    });
    const pool = new HealthLakeClientPool({
      credentials: credentials.provider,
      region: healthLake.region,
      responseTimeoutMs: 1500,
    });
    const ledger = new InMemoryVersionLedger();
    const handler = createDelivererHandler({
      sqs,
      s3,
      ledger,
      delivered: new DynamoDeliveredVersions(documents, resources.stateTable),
      healthLake: (endpoint) => pool.get(endpoint),
      credentialsRejected: () => credentials.refresh(),
      now: Date.now,
      logger: new Logger({ serviceName: 'it', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'HealthLakeConnector', serviceName: 'it' }),
      config: {
        queueUrl: resources.deliveryQueueUrl,
        deadLetterQueueUrl: resources.deliveryDlqUrl,
        defaultMaxAttempts: 3,
        backoff: { baseSeconds: 1, maxSeconds: 1 },
        accessDeniedBackoff: { baseSeconds: 1, maxSeconds: 1 },
        allowedEndpoints: new Set(parseAllowedEndpoints([healthLake.endpoint])),
      },
    });
    const esm = new EventSourceMapping({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      handler,
      waitTimeSeconds: 1,
    });
    await esm.start();
    const created: Rig = {
      healthLake,
      ledger,
      esm,
      credentials,
      stop: async () => {
        await esm.stop();
        pool.destroy();
        await healthLake.stop();
      },
    };
    rigs.push(created);
    return created;
  };

  const enqueue = async (messages: DeliveryMessage[], dedupSuffix = '') => {
    for (let start = 0; start < messages.length; start += 10) {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: resources.deliveryQueueUrl,
          Entries: messages.slice(start, start + 10).map((message, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(message),
            MessageGroupId: messageGroupId(message),
            MessageDeduplicationId: `${deduplicationId(message)}${dedupSuffix}`.slice(0, 128),
          })),
        }),
      );
      expect(result.Failed ?? []).toEqual([]);
    }
  };

  /** The resource of a message's group (`Type/id`, before the data store's hash). */
  const groupOf = (message: Message) => message.Attributes?.MessageGroupId?.split('@')[0];
  const dlq: Message[] = [];
  /** Drains the DLQ into `dlq` and says whether a message for `Type/id` is there. */
  const inDlq = async (key: string) => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.deliveryDlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    dlq.push(...(Messages ?? []));
    return dlq.some((message) => groupOf(message) === key);
  };

  const message = (overrides: Parameters<typeof deliveryMessage>[0] & { endpointOf: FhirStandin }) => {
    const { endpointOf, ...rest } = overrides;
    return deliveryMessage({
      ...rest,
      subscription: { endpoint: endpointOf.endpoint, ...rest.subscription },
    });
  };

  it('delivers a batch mixing success, not-supported, transient and terminal failures, each to its end', async () => {
    const { healthLake, esm } = await rig();
    healthLake.faults.failNext({ method: 'PUT', resourceType: 'Patient', id: 'flaky' }, 'unavailable', 1);
    await enqueue([
      message({ endpointOf: healthLake, id: 'ok' }),
      message({
        endpointOf: healthLake,
        resourceType: 'Basic',
        id: 'b1',
        payload: { kind: 'inline', resource: { resourceType: 'Basic', id: 'b1', code: { text: 'x' } } },
      }),
      message({ endpointOf: healthLake, id: 'flaky' }),
      message({
        endpointOf: healthLake,
        id: 'bad',
        payload: {
          kind: 'inline',
          resource: { resourceType: 'Patient', id: 'bad', birthDate: 'not-a-date' },
        },
      }),
      message({ endpointOf: healthLake, id: 'gone', operation: 'delete', versionId: '2' }),
    ]);
    await waitFor(() => healthLake.current('Patient', 'flaky') !== undefined, {
      what: 'the retried Patient',
    });
    await waitFor(() => inDlq('Patient/bad'), { what: 'the terminal failure in the DLQ' });
    await esm.idle();

    expect(healthLake.current('Patient', 'ok')).toBeDefined();
    expect(healthLake.current('Basic', 'b1')).toBeUndefined();
    const flakyAttempts = healthLake.requests.filter((request) => request.id === 'flaky');
    expect(flakyAttempts.map((request) => request.status)).toEqual([503, 201]);
    expect(healthLake.requests.find((request) => request.id === 'b1')?.status).toBe(400);
    expect(healthLake.requests.find((request) => request.id === 'gone')).toMatchObject({ method: 'DELETE' });

    const dead = dlq.find((entry) => groupOf(entry) === 'Patient/bad');
    expect(readDeadLetterCause(dead?.MessageAttributes)).toMatchObject({
      kind: 'terminal',
      status: 400,
      resourceType: 'Patient',
      id: 'bad',
      attempt: 1,
    });
    expect((JSON.parse(dead?.Body ?? '{}') as DeliveryMessage).id).toBe('bad');
    expect(dlq.filter((entry) => groupOf(entry) !== 'Patient/bad')).toEqual([]);
    // Every request was signed with STS-issued credentials from a single AssumeRole.
    expect(healthLake.sts.assumeRoleCount).toBe(1);
  });

  it('dead-letters a message with its cause once its retries are used up', async () => {
    const { healthLake } = await rig();
    healthLake.faults.failNext({ id: 'down' }, 'server-error', 100);
    await enqueue([message({ endpointOf: healthLake, id: 'down' })]);
    await waitFor(() => inDlq('Patient/down'), {
      timeoutMs: 20_000,
      what: 'the exhausted message in the DLQ',
    });
    const dead = dlq.find((entry) => groupOf(entry) === 'Patient/down');
    expect(readDeadLetterCause(dead?.MessageAttributes)).toMatchObject({
      kind: 'retries-exhausted',
      status: 500,
      attempt: 3,
    });
    expect(healthLake.requests.filter((request) => request.id === 'down')).toHaveLength(3);
  });

  it('retries while STS refuses the customer role (wrong ExternalId), then dead-letters with cause access-denied', async () => {
    const { healthLake } = await rig({ externalId: 'not-the-customer-external-id' });
    await enqueue([message({ endpointOf: healthLake, id: 'denied' })]);
    await waitFor(() => inDlq('Patient/denied'), {
      timeoutMs: 20_000,
      what: 'the denied message in the DLQ',
    });
    const dead = dlq.find((entry) => groupOf(entry) === 'Patient/denied');
    expect(readDeadLetterCause(dead?.MessageAttributes)).toMatchObject({
      kind: 'retries-exhausted',
      reason: 'access-denied',
      attempt: 3,
    });
    // One refused AssumeRole per attempt; nothing ever reached the data store.
    const refused = healthLake.sts.calls.filter((call) => call.errorCode === 'AccessDenied');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(healthLake.requests.filter((request) => request.id === 'denied')).toHaveLength(0);
  });

  it('lets the queue redrive a message to the DLQ after maxReceiveCount when the subscription allows more attempts', async () => {
    const { healthLake } = await rig({ maxReceiveCount: 2 });
    healthLake.faults.failNext({ id: 'redriven' }, 'throttle', 100);
    await enqueue([message({ endpointOf: healthLake, id: 'redriven', subscription: { maxAttempts: 10 } })]);
    await waitFor(() => inDlq('Patient/redriven'), {
      timeoutMs: 20_000,
      what: 'the redriven message in the DLQ',
    });
    const dead = dlq.find((entry) => groupOf(entry) === 'Patient/redriven');
    // SQS moved it: the body is the original message, with no cause attribute.
    expect(readDeadLetterCause(dead?.MessageAttributes)).toBeUndefined();
    expect((JSON.parse(dead?.Body ?? '{}') as DeliveryMessage).id).toBe('redriven');
    expect(healthLake.requests.filter((request) => request.id === 'redriven')).toHaveLength(2);
  });

  it('refreshes credentials in their last five minutes (the SDK window), without failed deliveries', async () => {
    // Credentials live 302 s: two seconds after they are issued, they are due for a refresh.
    const { healthLake, esm } = await rig({ credentialLifetimeSeconds: 302 });
    await enqueue([message({ endpointOf: healthLake, id: 'before' })]);
    await waitFor(() => healthLake.current('Patient', 'before') !== undefined, {
      what: 'the first delivery',
    });
    const firstIssued = Date.now();
    await waitFor(() => Date.now() - firstIssued > 2500, { timeoutMs: 5000, what: 'the refresh window' });
    await enqueue([message({ endpointOf: healthLake, id: 'after' })]);
    await waitFor(() => healthLake.current('Patient', 'after') !== undefined, {
      what: 'the second delivery',
    });
    await esm.idle();
    expect(healthLake.sts.assumeRoleCount).toBe(2);
    const keys = healthLake.requests.map((request) => request.accessKeyId);
    expect(new Set(keys).size).toBe(2);
    expect(healthLake.requests.every((request) => request.status < 400)).toBe(true);
  });

  it('ends at v5 when versions 1..5 are delivered and a retried v2 arrives after v5', async () => {
    const { healthLake, esm, ledger } = await rig();
    const version = (id: string, n: number, deliverLatestVersion: boolean) =>
      message({
        endpointOf: healthLake,
        id,
        versionId: String(n),
        lastUpdated: `2026-01-01T00:00:0${n}.000Z`,
        subscription: { deliverLatestVersion },
        payload: {
          kind: 'inline',
          resource: {
            resourceType: 'Patient',
            id,
            meta: { versionId: String(n) },
            identifier: [{ system: 'urn:test:version', value: `v${n}` }],
          },
        },
      });
    for (const [id, latestOnly] of [
      ['every-version', false],
      ['latest-only', true],
    ] as const) {
      // Ingest records every version in the ledger before enqueueing it.
      for (let n = 1; n <= 5; n += 1) {
        await ledger.recordSourceVersion(`Patient/${id}`, {
          versionId: String(n),
          lastUpdated: `2026-01-01T00:00:0${n}.000Z`,
          deleted: false,
        });
      }
      await enqueue([1, 2, 3, 4, 5].map((n) => version(id, n, latestOnly)));
      await waitFor(
        () =>
          (healthLake.current<{ resourceType: 'Patient'; identifier?: { value?: string }[] }>('Patient', id)
            ?.identifier?.[0]?.value ?? '') === 'v5',
        { what: `${id} at v5` },
      );
      await esm.idle();
      // The producer retries v2 (a new dedup id): it arrives after v5.
      await enqueue([version(id, 2, latestOnly)], '-retry');
      await waitFor(() => esm.stats.deleted >= (latestOnly ? 12 : 6), {
        what: 'the retried v2 to be consumed',
      });
      await esm.idle();
      const current = healthLake.current<{ resourceType: 'Patient'; identifier?: { value?: string }[] }>(
        'Patient',
        id,
      );
      expect(current?.identifier?.[0]?.value).toBe('v5');
    }
    const puts = (id: string) =>
      healthLake.requests.filter((request) => request.id === id).map((request) => request.versionId);
    expect(puts('every-version')).toEqual(['1', '2', '3', '4', '5']);
    expect(puts('latest-only')).toEqual(['5']);
  });

  it('delivers a payload stored in S3 after checking its hash, and dead-letters one whose object is missing', async () => {
    const { healthLake, esm } = await rig();
    const text = JSON.stringify({
      resourceType: 'Patient',
      id: 'large',
      meta: { versionId: '1' },
      active: true,
    });
    await s3.send(
      new PutObjectCommand({ Bucket: resources.payloadBucket, Key: 'payloads/large.json', Body: text }),
    );
    const s3Payload = (key: string) => ({
      kind: 's3' as const,
      bucket: resources.payloadBucket,
      key,
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    await enqueue([
      message({ endpointOf: healthLake, id: 'large', payload: s3Payload('payloads/large.json') }),
      message({ endpointOf: healthLake, id: 'lost', payload: s3Payload('payloads/lost.json') }),
    ]);
    await waitFor(() => healthLake.current('Patient', 'large') !== undefined, {
      what: 'the S3 payload delivered',
    });
    await waitFor(() => inDlq('Patient/lost'), { what: 'the missing payload in the DLQ' });
    await esm.idle();
    const dead = dlq.find((entry) => groupOf(entry) === 'Patient/lost');
    expect(readDeadLetterCause(dead?.MessageAttributes)).toMatchObject({
      kind: 'terminal',
      reason: 'payload-missing',
    });
    expect(healthLake.requests.some((request) => request.id === 'lost')).toBe(false);
  });
});
