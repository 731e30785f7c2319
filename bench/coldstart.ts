/**
 * `npm run bench -- coldstart [--runs N]`
 *
 * Cold start of each Lambda as deployed: bundles every handler with esbuild using the options
 * `ConnectorFunction` gives CDK (infra/bundling/bundlingOptions.ts) plus the same after-bundling
 * scripts (the ingest validator's trimmed definitions), then, N times per function, starts a fresh
 * Node process (this Node, with the function's NODE_OPTIONS) that imports the bundle with its
 * environment and reports:
 *   - module initialisation: `await import(bundle)` (what Lambda's Init phase runs);
 *   - RSS after initialisation;
 *   - for ingest, the first validated PUT through the handler (IAM mode, so no secret is fetched),
 *     with its DynamoDB and SQS calls going to dynalite + fauxqs in this process.
 * Prints the median of N (default 5) and the bundle sizes.
 * Targets on the 2-core development machine: ingest import + first PUT < 300 ms; deliverer import < 100 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CONNECTOR_BUNDLING } from '../infra/bundling/bundlingOptions.js';
import { writeValidationDefinitions } from '../infra/bundling/writeValidationDefinitions.js';
import { DEFAULT_ENTRY_POINTS } from '../infra/stacks/HealthLakeConnectorStack.js';
import { createConnectorResources, startAwsStandins, TEST_CREDENTIALS } from '../local/standins/aws.js';
import { ENV } from '../shared/config/constants.js';
import { INGEST_ENV } from '../shared/ingest/constants.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Math.max(1, Number(args.runs));
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGION = 'us-east-1';

interface Measured {
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly firstRequestCpuMs?: number;
  readonly rssMiB: number;
  readonly firstRequestMs?: number;
  readonly firstStatus?: number;
}

/** esbuild with ConnectorFunction's options: one `index.js` per function, as CDK writes it. */
const bundle = async (entry: string, outdir: string): Promise<void> => {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: CONNECTOR_BUNDLING.minify,
    sourcemap: CONNECTOR_BUNDLING.sourceMap,
    sourcesContent: CONNECTOR_BUNDLING.sourcesContent,
    target: CONNECTOR_BUNDLING.target,
    mainFields: CONNECTOR_BUNDLING.mainFields,
    external: CONNECTOR_BUNDLING.externalModules,
    logLevel: 'error',
  });
};

const sizeOf = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
    : statSync(path).size;

/** Child: import the bundle, optionally send one request, report as one JSON line. */
const CHILD = `
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const startedCpu = process.cpuUsage();
const started = performance.now();
const module = await import(process.env.BENCH_BUNDLE_URL);
const importMs = performance.now() - started;
const importCpuMs = cpuMs(startedCpu);
const rssMiB = process.memoryUsage().rss / 1048576;
let firstRequestMs, firstRequestCpuMs, firstStatus;
if (process.env.BENCH_EVENT) {
  const requestCpu = process.cpuUsage();
  const context = { functionName: 'bench', awsRequestId: 'cold-1', getRemainingTimeInMillis: () => 29000 };
  const t = performance.now();
  const result = await module.handler(JSON.parse(process.env.BENCH_EVENT), context);
  firstRequestMs = performance.now() - t;
  firstRequestCpuMs = cpuMs(requestCpu);
  firstStatus = result.statusCode;
}
console.log(JSON.stringify({ importMs, importCpuMs, rssMiB, firstRequestMs, firstRequestCpuMs, firstStatus }));
process.exit(0);
`;

const runChild = (bundleDir: string, env: Record<string, string>, event?: unknown): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: bundleDir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: '--enable-source-maps',
        ...env,
        BENCH_BUNDLE_URL: pathToFileURL(join(bundleDir, 'index.js')).href,
        ...(event === undefined ? {} : { BENCH_EVENT: JSON.stringify(event) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((candidate) => candidate.startsWith('{"importMs"'));
      if (code !== 0 || !line) reject(new Error(`cold start child failed (${code}): ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as Measured);
    });
  });

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const aws = await startAwsStandins();
const work = mkdtempSync(join(tmpdir(), 'hlc-coldstart-'));
try {
  const resources = await createConnectorResources({
    endpoints: {
      sqsEndpoint: aws.sqsEndpoint,
      s3Endpoint: aws.s3Endpoint,
      dynamoEndpoint: aws.dynamoEndpoint,
    },
    region: REGION,
  });
  const endpoint =
    'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';
  const common = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
    AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
    [ENV.stateTable]: resources.stateTable,
    [ENV.deliveryQueueUrl]: resources.deliveryQueueUrl,
    [ENV.deliveryDlqUrl]: resources.deliveryDlqUrl,
    [ENV.payloadBucket]: resources.payloadBucket,
    [ENV.allowedEndpoints]: endpoint,
    [ENV.healthLakeEndpoint]: endpoint,
    [ENV.connectorId]: 'coldstart',
  };
  const putEvent = {
    httpMethod: 'PUT',
    path: '/Patient/cold-1',
    pathParameters: { proxy: 'Patient/cold-1' },
    headers: { 'content-type': 'application/fhir+json', host: 'bench.local' },
    body: JSON.stringify({
      resourceType: 'Patient',
      id: 'cold-1',
      meta: { versionId: '1' },
      active: true,
      gender: 'female',
      birthDate: '1970-01-01',
    }),
    isBase64Encoded: false,
    requestContext: { requestId: 'cold-1', identity: { userArn: 'arn:aws:iam::111122223333:role/producer' } },
  };
  const functions = [
    {
      name: 'ingest',
      entry: DEFAULT_ENTRY_POINTS.ingest,
      afterBundling: (dir: string) => writeValidationDefinitions(dir),
      env: { ...common, [INGEST_ENV.authModes]: 'iam' },
      event: putEvent,
    },
    { name: 'deliverer', entry: DEFAULT_ENTRY_POINTS.deliverer, env: common },
    { name: 'backfill-worker', entry: DEFAULT_ENTRY_POINTS.backfillWorker, env: common },
    { name: 'subscription-provisioner', entry: DEFAULT_ENTRY_POINTS.subscriptionProvisioner, env: common },
  ];

  console.log(
    `Cold start: fresh ${process.version} process per run, median of ${RUNS}, bundles as CDK builds them`,
  );
  console.log(
    'function                   bundle     asset   import wall (cpu)  first PUT (cpu)  import+PUT (cpu)      RSS',
  );
  for (const fn of functions) {
    const dir = join(work, fn.name);
    await bundle(fn.entry, dir);
    fn.afterBundling?.(dir);
    const runs: Measured[] = [];
    for (let run = 0; run < RUNS; run++) {
      const measured = await runChild(dir, fn.env, fn.event);
      if (fn.event && measured.firstStatus !== 200) {
        throw new Error(`${fn.name}: first request answered ${measured.firstStatus}, expected 200`);
      }
      runs.push(measured);
      // Each PUT is a new version of the same resource: delete nothing, vary the version.
      if (fn.event) {
        const resource = JSON.parse(fn.event.body) as { meta: { versionId: string } };
        resource.meta.versionId = String(run + 2);
        fn.event.body = JSON.stringify(resource);
      }
    }
    const first = (r: Measured) => r.firstRequestMs ?? 0;
    const firstCpu = (r: Measured) => r.firstRequestCpuMs ?? 0;
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    /** "wall (cpu)": wall time, and the process's CPU time, which other load on the machine barely moves. */
    const both = (wall: (r: Measured) => number, cpu: (r: Measured) => number) =>
      `${ms(median(runs.map(wall)))} (${ms(median(runs.map(cpu)))})`;
    const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
    console.log(
      [
        fn.name.padEnd(25),
        mb(statSync(join(dir, 'index.js')).size).padStart(8),
        mb(sizeOf(dir)).padStart(9),
        both(
          (r) => r.importMs,
          (r) => r.importCpuMs,
        ).padStart(17),
        (fn.event ? both(first, firstCpu) : '-').padStart(15),
        (fn.event
          ? both(
              (r) => r.importMs + first(r),
              (r) => r.importCpuMs + firstCpu(r),
            )
          : '-'
        ).padStart(17),
        `${median(runs.map((r) => r.rssMiB)).toFixed(0)} MiB`.padStart(8),
      ].join(' '),
    );
  }
  console.log('bundle = index.js; asset = everything deployed (bundle, source map, generated files)');
  console.log('targets: ingest import + first PUT < 300 ms; deliverer import < 100 ms');
} finally {
  rmSync(work, { recursive: true, force: true });
  await aws.stop();
}
