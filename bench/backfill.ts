/**
 * `npm run bench -- backfill [--resources 100000] [--page-size 500] [--worker-concurrency 4]
 *  [--delivery-concurrency 16] [--backfill-only] [--worker-heap-mb 128]`
 *
 * Backfills synthetic-but-valid FHIR resources from the source stand-in into the HealthLake stand-in
 * through the real local-mode path: `POST /Subscription/{id}/$trigger-subscription` on the ingest API ->
 * fauxqs backfill queue -> backfill worker (the Lambda `handler`, configured from its environment, in
 * its own process so its memory is its own) -> WritePipeline (DynamoVersionLedger on dynalite,
 * delivery queue on fauxqs) -> deliverer -> HealthLake stand-in (SigV4 via STS AssumeRole).
 * Prints resources/s end to end and the worker process's peak RSS.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateResources as generate } from '../test/helpers/syntheticResources.js';
import { runBenchWorker } from '../test/helpers/benchWorker.js';
import { waitFor } from '../test/helpers/deliveryMessages.js';

const CHILD_FLAG = 'HLC_BACKFILL_BENCH_WORKER';

/** The worker process: the real Lambda handler behind an event source mapping poller. */
const runWorker = async (): Promise<void> => {
  const { handler } = await import('../lambdas/backfill-worker/handler.js');
  await runBenchWorker({
    handler,
    queueUrl: process.env.BACKFILL_QUEUE_URL ?? '',
    functionName: 'healthlake-connector-backfill-worker',
    batchSize: Number(process.env.BENCH_BATCH_SIZE ?? 1),
    concurrency: Number(process.env.BENCH_WORKER_CONCURRENCY ?? 4),
  });
};

const runBench = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '100000' },
      'page-size': { type: 'string', default: '500' },
      'worker-concurrency': { type: 'string', default: '4' },
      'delivery-concurrency': { type: 'string', default: '16' },
      'timeout-minutes': { type: 'string', default: '60' },
      /** Stop the deliverer: measures the backfill side alone (source -> worker -> ledger + delivery queue). */
      'backfill-only': { type: 'boolean', default: false },
      /** Caps the worker's V8 old space (like a small Lambda memory size), e.g. 128. */
      'worker-heap-mb': { type: 'string' },
    },
  });
  const total = Number(values.resources);
  const pageSize = Number(values['page-size']);
  const { startConnector } = await import('../local/connector.js');
  const { seedResources } = await import('../local/standins/healthlake/index.js');
  const { TEST_CREDENTIALS } = await import('../local/standins/aws.js');

  const connector = await startConnector({
    apiPort: 0,
    healthLakePort: 0,
    sourcePort: 0,
    sourceStandin: true,
    autoSubscription: true,
    autoSubscriptionCriteria: '[*]',
    deliveryConcurrency: Number(values['delivery-concurrency']),
    logLevel: 'warn',
    progress: 'off',
    resourcePrefix: `bench-${Date.now()}`,
  });
  const { source, healthlake, aws, resources: names } = connector;
  if (!source || !healthlake || !aws || !connector.autoSubscriptionId)
    throw new Error('local mode without stand-ins');
  let worker: ReturnType<typeof spawn> | undefined;
  try {
    // The in-process backfill poller steps aside for the measured worker process.
    await connector.backfill.stop();
    const backfillOnly = values['backfill-only'] === true;
    if (backfillOnly) await connector.delivery.stop();

    const seedStart = performance.now();
    // The generator's resources are valid R4; the stand-in's seeding is typed with Medplum's types.
    const seeded = seedResources(
      source.store,
      generate(total) as unknown as Parameters<typeof seedResources>[1],
    );
    console.log(
      `seeded ${seeded.written} resources in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
      seeded.byType,
    );

    // fauxqs names queues `sqs.{region}.localhost`; the SDK prefers a queue URL's host over an endpoint
    // taken from AWS_ENDPOINT_URL_SQS, so hand the worker URLs on the stand-in's own address.
    const onStandin = (queueUrl: string) => {
      const url = new URL(queueUrl);
      url.host = new URL(aws.sqsEndpoint).host;
      return url.href;
    };
    const heapCap = values['worker-heap-mb']
      ? [`--max-old-space-size=${Number(values['worker-heap-mb'])}`]
      : [];
    worker = spawn(process.execPath, [...heapCap, '--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        [CHILD_FLAG]: '1',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
        AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
        STATE_TABLE_NAME: names.stateTable,
        BACKFILL_QUEUE_URL: onStandin(names.backfillQueueUrl),
        DELIVERY_QUEUE_URL: onStandin(names.deliveryQueueUrl),
        ALLOWED_HEALTHLAKE_ENDPOINTS: connector.healthLakeEndpoint,
        SOURCE_FHIR_BASE_URL: source.endpoint,
        SOURCE_FHIR_AUTH: 'none',
        SOURCE_FHIR_PAGE_SIZE: String(pageSize),
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_DEV: 'false',
        BENCH_WORKER_CONCURRENCY: values['worker-concurrency'],
      },
    });
    const child = worker;
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });

    // One searchUrl per resource type: each is an independent stream of pages, so the worker's
    // concurrency has up to that many pages to work on at once.
    const searchUrls = Object.keys(seeded.byType).map((type) => `${type}?_count=${pageSize}`);
    const expected = seeded.written;

    const healthLakeBefore = healthlake.count();
    const started = performance.now();
    const response = await fetch(
      `${connector.apiUrl}/Subscription/${connector.autoSubscriptionId}/$trigger-subscription`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${connector.token}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: searchUrls.map((valueString) => ({ name: 'searchUrl', valueString })),
        }),
      },
    );
    const statusUrl = response.headers.get('content-location');
    if (response.status !== 202 || !statusUrl)
      throw new Error(`trigger answered ${response.status}: ${await response.text()}`);
    console.log(
      `job started: ${statusUrl} (${searchUrls.length} streams, _count=${pageSize}, ${expected} resources)`,
    );

    const readStatus = async () => {
      const answer = await fetch(statusUrl, { headers: { authorization: `Bearer ${connector.token}` } });
      const body = (await answer.json()) as {
        parameter: { name: string; valueCode?: string; valueUnsignedInt?: number; valueString?: string }[];
      };
      const get = (name: string) => body.parameter.find((p) => p.name === name);
      return {
        state: get('state')?.valueCode,
        read: get('read')?.valueUnsignedInt ?? 0,
        enqueued: get('enqueued')?.valueUnsignedInt ?? 0,
        skipped: get('skipped')?.valueUnsignedInt ?? 0,
        failed: get('failed')?.valueUnsignedInt ?? 0,
        reason: get('reason')?.valueString,
      };
    };
    let backfillDoneMs = 0;
    let lastLog = 0;
    await waitFor(
      async () => {
        const status = await readStatus();
        const delivered = healthlake.count() - healthLakeBefore;
        if (status.state === 'failed' || status.state === 'cancelled')
          throw new Error(`job ${status.state}: ${status.reason}`);
        if (status.state === 'completed' && backfillDoneMs === 0)
          backfillDoneMs = performance.now() - started;
        if (performance.now() - lastLog > 5_000) {
          lastLog = performance.now();
          console.log(
            `  ${((performance.now() - started) / 1000).toFixed(0)} s: read ${status.read}, enqueued ${status.enqueued}, in HealthLake ${delivered}`,
          );
        }
        return status.state === 'completed' && (backfillOnly || delivered >= expected);
      },
      {
        timeoutMs: Number(values['timeout-minutes']) * 60_000,
        intervalMs: 200,
        what: 'the backfill to reach HealthLake',
      },
    );
    const elapsedMs = performance.now() - started;
    const final = await readStatus();

    const memory = await new Promise<{
      peakRssBytes: number;
      readyRssBytes: number;
      peakHeapBytes: number;
      maxRssBytes: number;
      stats: unknown;
    }>((resolve) => {
      child.once('message', (message) => resolve(message as never));
      child.send('stop');
    });
    const mib = (bytes: number) => (bytes / 1_048_576).toFixed(0);
    console.log('');
    console.log(`backfill ${expected} resources: ${(elapsedMs / 1000).toFixed(1)} s end to end`);
    console.log(
      `  end to end (trigger -> all in HealthLake): ${((expected * 1000) / elapsedMs).toFixed(0)} resources/s`,
    );
    console.log(
      `  backfill side (trigger -> job completed, all enqueued): ${((expected * 1000) / backfillDoneMs).toFixed(0)} resources/s`,
    );
    console.log(
      `  job: read ${final.read}, enqueued ${final.enqueued}, skipped ${final.skipped}, failed ${final.failed}`,
    );
    console.log(
      `  worker process peak RSS: ${mib(memory.peakRssBytes)} MiB sampled, maxRSS ${mib(memory.maxRssBytes)} MiB` +
        ` (${mib(memory.readyRssBytes)} MiB when ready, before the first page; tsx in-process transpiling included);` +
        ` peak V8 heap used ${mib(memory.peakHeapBytes)} MiB`,
    );
    console.log(`  worker invocations: ${JSON.stringify(memory.stats)}`);
    console.log(`  HealthLake stand-in holds ${healthlake.count()} resources`);
  } finally {
    worker?.kill();
    await connector.stop();
  }
};

if (process.env[CHILD_FLAG] === '1') await runWorker();
else await runBench();
