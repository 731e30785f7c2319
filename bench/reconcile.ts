/**
 * `npm run bench -- reconcile [--resources 100000] [--page-size 1000] [--worker-concurrency 2]`
 *
 * Compares synthetic-but-valid FHIR resources held by both the source stand-in and the HealthLake
 * stand-in through the real local-mode path: `POST $reconcile` (mode compare) on the ingest API ->
 * fauxqs reconcile queue -> reconcile worker (the Lambda `handler`, configured from its environment,
 * in its own process so its memory is its own; HealthLake read with SigV4 after STS AssumeRole into
 * the customer role) -> source and HealthLake pages with `_elements=id,meta`, `_id` look-ups on the
 * other side, ledger reads on dynalite, id lists to S3.
 * Prints resources compared per second and the worker process's peak RSS.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBenchWorker } from '../test/helpers/benchWorker.js';
import { waitFor } from '../test/helpers/deliveryMessages.js';
import { generateResources } from '../test/helpers/syntheticResources.js';

const CHILD_FLAG = 'HLC_RECONCILE_BENCH_WORKER';

/** The worker process: the real Lambda handler behind an event source mapping poller. */
const runWorker = async (): Promise<void> => {
  const { handler } = await import('../lambdas/reconcile-worker/handler.js');
  await runBenchWorker({
    handler,
    queueUrl: process.env.RECONCILE_QUEUE_URL ?? '',
    functionName: 'healthlake-connector-reconcile-worker',
    batchSize: 1,
    concurrency: Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2),
  });
};

const runBench = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '100000' },
      'page-size': { type: 'string', default: '1000' },
      'worker-concurrency': { type: 'string', default: '2' },
      'timeout-minutes': { type: 'string', default: '30' },
    },
  });
  const total = Number(values.resources);
  const { startConnector } = await import('../local/connector.js');
  const { seedResources } = await import('../local/standins/healthlake/index.js');

  const connector = await startConnector({
    apiPort: 0,
    healthLakePort: 0,
    sourcePort: 0,
    sourceStandin: true,
    autoSubscription: true,
    autoSubscriptionCriteria: '[*]',
    logLevel: 'warn',
    progress: 'off',
    resourcePrefix: `bench-${Date.now()}`,
  });
  const { source, healthlake, aws, resources: names } = connector;
  if (!source || !healthlake || !aws || !connector.autoSubscriptionId)
    throw new Error('local mode without stand-ins');
  let worker: ReturnType<typeof spawn> | undefined;
  try {
    // The in-process reconcile poller steps aside for the measured worker process.
    await connector.reconcile.stop();
    const seedStart = performance.now();
    const seeded = seedResources(
      source.store,
      generateResources(total) as unknown as Parameters<typeof seedResources>[1],
    );
    // HealthLake holds the same resources, written after the source's versions.
    seedResources(
      healthlake.store,
      generateResources(total) as unknown as Parameters<typeof seedResources>[1],
      {
        preserveVersions: false,
      },
    );
    console.log(
      `seeded ${seeded.written} resources on both sides in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
      seeded.byType,
    );

    // fauxqs names queues `sqs.{region}.localhost`: hand the worker URLs on the stand-in's own address.
    const onStandin = (queueUrl: string) => {
      const url = new URL(queueUrl);
      url.host = new URL(aws.sqsEndpoint).host;
      return url.href;
    };
    worker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        [CHILD_FLAG]: '1',
        AWS_REGION: healthlake.region,
        // The HealthLake stand-in's base credentials may call STS; fauxqs and dynalite accept any.
        AWS_ACCESS_KEY_ID: healthlake.baseCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: healthlake.baseCredentials.secretAccessKey,
        AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
        AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
        AWS_ENDPOINT_URL_STS: healthlake.stsEndpoint,
        CONNECTOR_ID: 'bench',
        STATE_TABLE_NAME: names.stateTable,
        RECONCILE_QUEUE_URL: onStandin(names.reconcileQueueUrl),
        DELIVERY_QUEUE_URL: onStandin(names.deliveryQueueUrl),
        PAYLOAD_BUCKET_NAME: names.payloadBucket,
        ALLOWED_HEALTHLAKE_ENDPOINTS: connector.healthLakeEndpoint,
        HEALTHLAKE_ROLE_ARN: healthlake.roleArn,
        HEALTHLAKE_EXTERNAL_ID: healthlake.externalId ?? '',
        HEALTHLAKE_REGION: healthlake.region,
        SOURCE_FHIR_BASE_URL: source.endpoint,
        SOURCE_FHIR_AUTH: 'none',
        RECONCILE_SOURCE_REQUESTS_PER_SECOND: '0',
        RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND: '0',
        RECONCILE_PAGE_SIZE: values['page-size'],
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

    const started = performance.now();
    const response = await fetch(`${connector.apiUrl}/$reconcile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${connector.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'subscription', valueString: connector.autoSubscriptionId },
          { name: 'mode', valueCode: 'compare' },
        ],
      }),
    });
    const statusUrl = response.headers.get('content-location');
    if (response.status !== 202 || !statusUrl)
      throw new Error(`$reconcile answered ${response.status}: ${await response.text()}`);
    console.log(`job started: ${statusUrl} (${total} resources, _count=${values['page-size']})`);

    type Part = {
      name: string;
      valueCode?: string;
      valueString?: string;
      valueUnsignedInt?: number;
      part?: Part[];
    };
    const readStatus = async () => {
      const answer = await fetch(statusUrl, { headers: { authorization: `Bearer ${connector.token}` } });
      const body = (await answer.json()) as { parameter: Part[] };
      const get = (name: string) => body.parameter.find((p) => p.name === name);
      const totals = Object.fromEntries(
        (get('total')?.part ?? []).map((p) => [p.name, p.valueUnsignedInt ?? 0]),
      );
      return { state: get('state')?.valueCode, reason: get('reason')?.valueString, totals };
    };
    let lastLog = 0;
    await waitFor(
      async () => {
        const status = await readStatus();
        if (status.state === 'failed' || status.state === 'cancelled')
          throw new Error(`job ${status.state}: ${status.reason}`);
        if (performance.now() - lastLog > 5_000) {
          lastLog = performance.now();
          console.log(
            `  ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(status.totals)}`,
          );
        }
        return status.state === 'completed';
      },
      {
        timeoutMs: Number(values['timeout-minutes']) * 60_000,
        intervalMs: 200,
        what: 'the compare to complete',
      },
    );
    const elapsedMs = performance.now() - started;
    const final = await readStatus();
    const memory = await new Promise<{
      peakRssBytes: number;
      readyRssBytes: number;
      peakHeapBytes: number;
      maxRssBytes: number;
    }>((resolve) => {
      child.once('message', (message) => resolve(message as never));
      child.send('stop');
    });
    const mib = (bytes: number) => (bytes / 1_048_576).toFixed(0);
    console.log('');
    console.log(
      `compare of ${total} resources (source and HealthLake, both ways): ${(elapsedMs / 1000).toFixed(1)} s`,
    );
    console.log(`  resources compared per second: ${((total * 1000) / elapsedMs).toFixed(0)}`);
    console.log(`  report: ${JSON.stringify(final.totals)}`);
    console.log(
      `  worker process peak RSS: ${mib(memory.peakRssBytes)} MiB sampled, maxRSS ${mib(memory.maxRssBytes)} MiB` +
        ` (${mib(memory.readyRssBytes)} MiB when ready; tsx in-process transpiling included);` +
        ` peak V8 heap used ${mib(memory.peakHeapBytes)} MiB`,
    );
  } finally {
    worker?.kill();
    await connector.stop();
  }
};

if (process.env[CHILD_FLAG] === '1') await runWorker();
else await runBench();
