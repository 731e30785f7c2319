/**
 * `npm run bench -- ingest [--writes N] [--transactions N]`
 *
 * Handler time per single-resource write (PUT with a source meta.versionId, as a rest-hook sender
 * does) and per 100-entry transaction (1 Patient + 99 Observations, urn:uuid references), with 100
 * active subscriptions (real ActiveSubscriptionCache + compiled criteria) over 4 data store endpoints.
 * The handler is invoked in-process with API Gateway proxy events; its AWS calls (DynamoDB ledger,
 * SQS SendMessageBatch) go over loopback HTTP to dynalite + fauxqs, which run in a CHILD process so
 * their CPU is not counted: process.cpuUsage() of this process = handler + AWS SDK client work.
 */
import { fork } from 'node:child_process';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createIngestHandler } from '../lambdas/ingest/createIngestHandler.js';
import { awsClientConfig, createConnectorResources, startAwsStandins } from '../local/standins/aws.js';
import type { ConnectorEndpoints } from '../local/standins/aws.js';
import { createAuthenticator } from '../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../shared/ingest/DefaultWritePipeline.js';
import { SqsDeliveryQueue } from '../shared/ingest/SqsDeliveryQueue.js';
import { ensureStructureDefinitions } from '../shared/ingest/validateFhirResource.js';
import { ActiveSubscriptionCache, InMemorySubscriptionStore } from '../shared/subscriptions/index.js';
import { DynamoVersionLedger } from '../shared/versions/DynamoVersionLedger.js';
import { InMemoryVersionLedger } from '../shared/versions/InMemoryVersionLedger.js';
import {
  BENCH_ENDPOINTS,
  benchObservation,
  benchPatient,
  proxyEvent,
  saveBenchSubscriptions,
} from './lib/ingestEvents.js';

const CHILD_FLAG = 'INGEST_BENCH_STANDINS_CHILD';

if (process.env[CHILD_FLAG] === '1') {
  // Child: run the stand-ins and report their endpoints; exit with the parent.
  const aws = await startAwsStandins();
  process.send?.({
    sqsEndpoint: aws.sqsEndpoint,
    s3Endpoint: aws.s3Endpoint,
    dynamoEndpoint: aws.dynamoEndpoint,
  });
  process.on('disconnect', () => {
    void aws.stop().finally(() => process.exit(0));
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const argument = (name: string, fallback: number) => {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
  };
  const writes = argument('writes', 1000);
  const transactions = argument('transactions', 30);

  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_FLAG]: '1' },
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const endpoints = await new Promise<Required<ConnectorEndpoints>>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Required<ConnectorEndpoints>));
    child.once('exit', (code) => reject(new Error(`stand-ins child exited (${code})`)));
  });
  try {
    await run(endpoints, writes, transactions);
  } finally {
    child.disconnect();
  }
}

async function run(
  endpoints: Required<ConnectorEndpoints>,
  writes: number,
  transactions: number,
): Promise<void> {
  const resources = await createConnectorResources({ endpoints, names: { prefix: 'bench-ingest' } });
  const tuned = process.argv.includes('--tuned');
  const tuning = () =>
    tuned
      ? { requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }) }
      : {};
  const dynamo = new DynamoDBClient({ ...awsClientConfig(endpoints.dynamoEndpoint), ...tuning() });
  const sqs = new SQSClient({
    ...awsClientConfig(endpoints.sqsEndpoint),
    ...tuning(),
    ...(tuned ? { md5: false } : {}),
  });
  const allowed = BENCH_ENDPOINTS;
  const store = new InMemorySubscriptionStore();
  await saveBenchSubscriptions(store, allowed);
  const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: allowed, ttlMs: 3_600_000 });
  if ((await cache.active()).length !== 100) throw new Error('expected 100 active subscriptions');
  const pipeline = new DefaultWritePipeline({
    ledger: new DynamoVersionLedger({
      client: DynamoDBDocumentClient.from(dynamo),
      tableName: resources.stateTable,
    }),
    matcher: cache,
    queue: new SqsDeliveryQueue({ sqs, queueUrl: resources.deliveryQueueUrl }),
  });
  const token = 'bench-token';
  const authenticator = createAuthenticator({
    modes: ['bearer'],
    tokens: async () => [{ sha256: hashToken(token), scope: 'write' }],
  });
  const awsHandler = createIngestHandler({ route: createIngestRouter({ pipeline }), authenticator });
  // The same handler with an in-memory ledger and a queue that drops messages: the cost without AWS calls.
  const localHandler = createIngestHandler({
    route: createIngestRouter({
      pipeline: new DefaultWritePipeline({
        ledger: new InMemoryVersionLedger(),
        matcher: cache,
        queue: { enqueue: async () => undefined },
      }),
    }),
    authenticator,
  });
  let handler = awsHandler;
  ensureStructureDefinitions();

  const context = {
    awsRequestId: 'bench',
    functionName: 'ingest',
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
  const event = (method: string, proxy: string, body: unknown) => proxyEvent(token, method, proxy, body);

  const measure = async (
    label: string,
    count: number,
    make: (i: number) => APIGatewayProxyEvent,
    perEntries = 1,
  ) => {
    const wall: number[] = [];
    let cpuMicros = 0;
    let userMicros = 0;
    let matched = 0;
    for (let i = 0; i < count; i += 1) {
      const input = make(i);
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      const result = await handler(input, context);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      const used = process.cpuUsage(cpu);
      if (result.statusCode >= 300) throw new Error(`${label}: status ${result.statusCode} ${result.body}`);
      wall.push(elapsed);
      cpuMicros += used.user + used.system;
      userMicros += used.user;
      matched += 1;
    }
    wall.sort((a, b) => a - b);
    const pct = (p: number) =>
      (wall[Math.min(wall.length - 1, Math.floor((p / 100) * wall.length))] ?? 0).toFixed(2);
    const cpuMs = cpuMicros / 1000 / count;
    const userMs = userMicros / 1000 / count;
    console.log(
      `${label.padEnd(34)} n=${String(count).padStart(5)}  wall p50 ${pct(50)} ms  p99 ${pct(99)} ms  ` +
        `CPU ${cpuMs.toFixed(3)} ms (user ${userMs.toFixed(3)} + system ${(cpuMs - userMs).toFixed(3)})` +
        (perEntries > 1 ? `  = ${(cpuMs / perEntries).toFixed(3)} ms/entry` : ''),
    );
    return matched;
  };

  const patientWrite = (prefix: string) => (i: number) =>
    event('PUT', `Patient/${prefix}-${i}`, benchPatient(`${prefix}-${i}`, '1', i));
  const observationWrite = (prefix: string) => (i: number) =>
    event('PUT', `Observation/${prefix}-${i}`, benchObservation(`${prefix}-${i}`, '3', i));
  const transaction = (i: number) =>
    event('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          resource: { resourceType: 'Patient', gender: 'female', birthDate: '1970-01-01' },
          request: { method: 'POST', url: 'Patient' },
        },
        ...Array.from({ length: 99 }, (_, k) => ({
          fullUrl: `urn:uuid:00000000-0000-4000-9000-${String(i * 100 + k).padStart(12, '0')}`,
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: `${1000 + (k % 60)}-${k % 10}` }] },
            subject: { reference: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
            effectiveDateTime: '2024-06-01T10:00:00Z',
            valueQuantity: { value: k, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
          },
          request: { method: 'POST', url: 'Observation' },
        })),
      ],
    });

  console.log('Ingest handler benchmark');
  console.log(
    `  AWS calls against local stand-ins: dynalite (DynamoDB) + fauxqs (SQS FIFO), in a child process (their CPU not counted)`,
  );
  console.log(`  100 active subscriptions over ${allowed.length} endpoints; Node ${process.version}`);
  await measure('warm-up', 300, patientWrite('warm'));
  await sqs.send(new PurgeQueueCommand({ QueueUrl: resources.deliveryQueueUrl }));
  await measure('PUT Patient (source version)', writes, patientWrite('p'));
  await measure('PUT Observation (source version)', writes, observationWrite('o'));
  await sqs.send(new PurgeQueueCommand({ QueueUrl: resources.deliveryQueueUrl }));
  await measure('POST transaction, 100 entries', transactions, transaction, 100);
  handler = localHandler;
  console.log('  Same handler, in-memory ledger and no-op queue (no AWS calls): the logic alone');
  await measure('PUT Patient (no AWS calls)', writes, patientWrite('q'));
  await measure('POST transaction (no AWS calls)', transactions, transaction, 100);
  dynamo.destroy();
  sqs.destroy();
}
