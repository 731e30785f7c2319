/**
 * `npm run bench -- cost [--dir folder] [--shapes put,transaction,backfill]`
 *
 * What a million resources cost in AWS charges (HealthLake's own excluded). The Synthea Bundles
 * (../shared/fixtures/synthea-r4) go through local mode, the same handler code as in Lambda, in three
 * producer shapes:
 *   put          one PUT per resource (a rest-hook sender);
 *   transaction  transaction Bundles of 100 PUT entries;
 *   backfill     $trigger-subscription over the same resources held by the source FHIR server.
 * Every AWS SDK client is instrumented by middleware that counts requests per service and operation
 * (DynamoDB capacity units as the table reports them); local mode's Lambda runtime stand-ins record each
 * invocation's duration; the HealthLake stand-in answers with a realistic service time (lognormal, p50
 * and p99 given), which the deliverer's duration mostly is. Prints per 1,000 resources, then dollars per
 * million resources from the dated price table in bench/prices-us-east-1.json, at the memory sizes the
 * CDK stack configures. Durations are wall times on this machine, with the stand-ins sharing its cores:
 * an upper bound of what Lambda bills.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildConnectorApp } from '../infra/buildConnectorApp.js';
import { parseConnectorConfig } from '../infra/config/parseConnectorConfig.js';
import { SERVICE_NAMES } from '../infra/stacks/HealthLakeConnectorStack.js';
import { invocationTotals, resetInvocationTotals } from '../local/invocationReports.js';
import { startConnector, type LocalConnector } from '../local/connector.js';
import { countAwsRequests } from './awsRequestCounter.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(root, '../shared/fixtures/synthea-r4') },
    shapes: { type: 'string', default: 'put,transaction,backfill' },
    p50: { type: 'string', default: '80' },
    p99: { type: 'string', default: '400' },
  },
});
/** HealthLake's service time (the deliverer's duration, and so its GB-seconds, is mostly waiting on it). */
const LATENCY = { p50Ms: Number(values.p50), p99Ms: Number(values.p99) };
const dir = resolve(values.dir);
if (!existsSync(dir)) {
  console.error(`No Synthea fixtures at ${dir}; pass --dir <folder of transaction Bundles>`);
  process.exit(2);
}
const prices = JSON.parse(readFileSync(join(root, 'bench/prices-us-east-1.json'), 'utf8')) as Record<
  string,
  number | string
>;
const price = (name: string): number => Number(prices[name]);

type Resource = Record<string, unknown> & { resourceType: string; id: string };

/**
 * The Synthea resources with their uuids as ids and `urn:uuid:` references made literal, each once:
 * several patients' Bundles carry the same Organization and Practitioner.
 */
const loadResources = (): Resource[] => {
  const bundles = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map(
      (file) =>
        JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
          entry?: { fullUrl?: string; resource: Resource }[];
        },
    );
  const types = new Map<string, string>();
  for (const bundle of bundles)
    for (const entry of bundle.entry ?? []) types.set(String(entry.fullUrl), entry.resource.resourceType);
  const literal = (text: string) =>
    text.replace(/"urn:uuid:([0-9a-f-]{36})"/g, (match, uuid: string) => {
      const type = types.get(`urn:uuid:${uuid}`);
      return type ? `"${type}/${uuid}"` : match;
    });
  const unique = new Map<string, Resource>();
  for (const bundle of bundles)
    for (const entry of bundle.entry ?? []) {
      const id = String(entry.fullUrl).replace('urn:uuid:', '');
      const key = `${entry.resource.resourceType}/${id}`;
      if (!unique.has(key))
        unique.set(key, { ...(JSON.parse(literal(JSON.stringify(entry.resource))) as Resource), id });
    }
  return [...unique.values()];
};

/** Memory size (MB) of each function in the stack built from the example configuration. */
const configuredMemory = (): Map<string, number> => {
  const outdir = mkdtempSync(join(tmpdir(), 'hlc-cost-cdk-'));
  try {
    const example = JSON.parse(readFileSync(join(root, 'connector.config.example.json'), 'utf8')) as never;
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const { connector } = buildConnectorApp(app, parseConnectorConfig(example, 'example'));
    const memory = new Map<string, number>();
    for (const fn of Object.values(Template.fromStack(connector).findResources('AWS::Lambda::Function'))) {
      const properties = fn.Properties as {
        MemorySize?: number;
        Environment?: { Variables?: Record<string, unknown> };
      };
      const service = properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
      if (typeof service === 'string') memory.set(service, properties.MemorySize ?? 128);
    }
    return memory;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

/** Local mode's function names (the Lambda runtime stand-ins use them) -> the stack's service names. */
const LOCAL_FUNCTIONS: Record<string, string> = {
  'healthlake-connector-ingest': SERVICE_NAMES.ingest,
  'healthlake-connector-deliverer': SERVICE_NAMES.deliverer,
  'healthlake-connector-backfill-worker': SERVICE_NAMES.backfill,
};

const request = async (connector: LocalConnector, method: string, path: string, body: unknown) => {
  const response = await fetch(`${connector.apiUrl}/${path}`, {
    method,
    headers: { authorization: `Bearer ${connector.token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} /${path} answered ${response.status}`);
  return { response, text };
};

/** Runs `work` with at most `parallel` at a time. */
const inParallel = async <T>(items: readonly T[], parallel: number, work: (item: T) => Promise<unknown>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
};

const SHAPES: Record<string, (connector: LocalConnector, resources: readonly Resource[]) => Promise<void>> = {
  put: (connector, resources) =>
    inParallel(resources, 8, (resource) =>
      request(connector, 'PUT', `${resource.resourceType}/${resource.id}`, resource),
    ),
  transaction: (connector, resources) => {
    const chunks = Array.from({ length: Math.ceil(resources.length / 100) }, (_, index) =>
      resources.slice(index * 100, (index + 1) * 100),
    );
    return inParallel(chunks, 2, (chunk) =>
      request(connector, 'POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: chunk.map((resource) => ({
          resource,
          request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
        })),
      }),
    );
  },
  backfill: async (connector, resources) => {
    const types = [...new Set(resources.map((resource) => resource.resourceType))];
    await request(connector, 'POST', `Subscription/${connector.autoSubscriptionId}/$trigger-subscription`, {
      resourceType: 'Parameters',
      parameter: types.map((type) => ({ name: 'searchUrl', valueString: `${type}?_count=100` })),
    });
  },
};

const resources = loadResources();
const memory = configuredMemory();
const counts = countAwsRequests();
const perThousand = (value: number) => ((value * 1000) / resources.length).toFixed(1).padStart(9);

console.log(
  `Cost: ${resources.length} Synthea resources through local mode; prices us-east-1, checked ${String(prices.checked)}`,
);
for (const shape of values.shapes.split(',')) {
  const drive = SHAPES[shape];
  if (!drive) throw new Error(`unknown shape ${shape}`);
  const connector = await startConnector({
    apiPort: 0,
    logLevel: 'silent',
    progress: 'off',
    ...(shape === 'backfill' ? { sourceSeedDir: dir } : {}),
  });
  try {
    const healthlake = connector.healthlake;
    if (!healthlake) throw new Error('the benchmark needs the HealthLake stand-in');
    healthlake.faults.set({ latency: LATENCY });
    // Count the work, not the start-up (queue and table creation).
    counts.requests.clear();
    counts.emptyReceives = 0;
    counts.readCapacityUnits = 0;
    counts.writeCapacityUnits = 0;
    resetInvocationTotals();
    await drive(connector, resources);
    const deadline = Date.now() + 5 * 60_000;
    while (healthlake.count() < resources.length && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 200));
    if (healthlake.count() < resources.length)
      throw new Error(`${shape}: HealthLake holds ${healthlake.count()} of ${resources.length}`);
    await connector.delivery.idle();
    await connector.backfill.idle();

    console.log(`\n${shape}: per 1,000 resources`);
    let dollars = 0;
    const add = (label: string, quantity: number, unitPrice: number) => {
      const cost = ((quantity * 1_000_000) / resources.length) * unitPrice;
      dollars += cost;
      console.log(
        `  ${label.padEnd(46)} ${perThousand(quantity)}   $${cost.toFixed(3).padStart(7)} per million resources`,
      );
    };
    const invocations = invocationTotals();
    const api = invocations.get('healthlake-connector-ingest')?.invocations ?? 0;
    add('API Gateway requests (REST)', api, price('apiGatewayRestPerMillionRequests') / 1e6);
    for (const [name, totals] of invocations) {
      const service = LOCAL_FUNCTIONS[name] ?? name;
      const gb = (memory.get(service) ?? 1024) / 1024;
      add(`Lambda ${service} invocations`, totals.invocations, price('lambdaPerMillionRequests') / 1e6);
      add(
        `Lambda ${service} GB-s (${gb * 1024} MB)`,
        (totals.billedMs / 1000) * gb,
        price('lambdaArmPerGbSecond'),
      );
    }
    for (const [key, entry] of [...counts.requests].sort()) {
      const [service] = key.split(':');
      const unit =
        service === 'SQS'
          ? price(key.endsWith('(FIFO)') ? 'sqsFifoPerMillionRequests' : 'sqsStandardPerMillionRequests') /
            1e6
          : service === 'S3'
            ? key.includes('Get')
              ? price('s3PerThousandGetRequests') / 1e3
              : price('s3PerThousandPutRequests') / 1e3
            : service === 'KMS'
              ? price('kmsPerTenThousandRequests') / 1e4
              : 0; // DynamoDB is billed by capacity units below; STS is free
      add(`${key} requests${entry.billed !== entry.requests ? ' (64 KiB units)' : ''}`, entry.billed, unit);
    }
    add(
      'DynamoDB write request units',
      counts.writeCapacityUnits,
      price('dynamoDbPerMillionWriteRequestUnits') / 1e6,
    );
    add(
      'DynamoDB read request units',
      counts.readCapacityUnits,
      price('dynamoDbPerMillionReadRequestUnits') / 1e6,
    );
    console.log(`  total: $${dollars.toFixed(2)} per million resources`);
    console.log(
      `  (idle pollers' empty receives, a fixed cost per hour, not per resource: ${counts.emptyReceives})`,
    );
  } finally {
    await connector.stop();
  }
}
