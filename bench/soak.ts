/**
 * `npm run bench -- soak [--messages N] [--paced-messages N] [--quota-share F] [--writes N] [--ids N]
 *  [--samples N] [--limit-mib N] [--only deliver|paced|ingest]`
 *
 * Memory of long-lived Lambda instances under sustained load. Each scenario runs in its own child Node
 * (`--expose-gc`), drives ONE instance of a handler as Lambda would (one invocation at a time), forces a
 * full garbage collection at regular points and reports the heap left after it, V8's code spaces apart
 * (see CODE_SPACE). The growth per million messages is the slope of those points once warm (the first
 * fifth is warm-up; Theil-Sen, the median of the slopes between every two points, so one odd point does
 * not decide); a scenario fails above `--limit-mib` (default 1 MiB per million). Why 1: at 1,000
 * messages/s an instance handles 3.6 million an hour, so 1 MiB per million is under 4 MiB an hour, and a
 * 512 MB instance would take days to use its headroom, while one long-lived structure per message (the
 * pacer's write times were 8.3 MiB per million) is an order of magnitude above it. The heap after GC
 * moves by a few hundred KiB between samples for reasons of V8's own (feedback, the size of its free
 * lists), which the slope over 2 million messages averages to a small fraction of the limit.
 *
 * Scenarios:
 *   1. deliverer, pacing inactive: `--messages` (2,000,000) upserts of rotating ids (`--ids`) with
 *      rising versions, against a data store that answers 200 at once;
 *   2. deliverer, pacing active: `--paced-messages` (300,000); after 20,000 unthrottled (which measure
 *      this machine's rate), the data store refuses (429) every write above `--quota-share` (0.5) of that
 *      rate in each second, one refusal in 1,000 with `Retry-After`, so the pacer keeps pacing;
 *   3. ingest: `--writes` (200,000) writes of Patients and Observations with source versions over
 *      `--ids` rotating ids, a fifth as single PUTs and the rest in 100-entry transactions (a single
 *      request costs three times as much per write), with 100 active subscriptions over 4 endpoints,
 *      bearer authentication, resource validation, and a subscription changed every 20,000 writes (the
 *      cache reloads every 5 s anyway and rebuilds its criteria index).
 *
 * In process, not over sockets: the socket is not what is measured here (`npm run bench -- deliver`
 * measures the HTTP path), and a loopback peer would double the run time on a 2-core machine. So the
 * deliverer's data store is a minimal `HealthLakeApi` behind the real `PacedHealthLake` and
 * `AdaptivePacer` (HealthLakeClient's signing and sockets are left out), and SQS calls (visibility
 * changes, the delivery queue's SendMessageBatch) go to an SQSClient whose request handler answers in
 * process (bench/lib/inProcessSqs.ts). The version ledger, delivered-version store and subscription
 * store are the in-memory ones; with rotating ids they hold one entry per id, so they stop growing
 * once every id has been seen. Everything else is the handlers as deployed: middy, Powertools logger
 * and metrics (lines formatted, then dropped), batch processor, delivery message parsing, ingest
 * routing, validation, matching and enqueueing. The event loop turns between invocations, as it does
 * while Lambda's runtime waits for the next event. About 5 minutes of CPU in all (on 2 cores shared
 * with other load it took 22 minutes).
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Context, SQSEvent } from 'aws-lambda';
import { createDelivererHandler } from '../lambdas/deliverer/createDelivererHandler.js';
import { createIngestHandler } from '../lambdas/ingest/createIngestHandler.js';
import { ENV } from '../shared/config/constants.js';
import { delivererConfigFromEnv } from '../shared/runtime/delivererConfig.js';
import { InMemoryDeliveredVersions } from '../shared/versions/DeliveredVersions.js';
import { AdaptivePacer } from '../shared/healthlake/AdaptivePacer.js';
import { PacedHealthLake } from '../shared/healthlake/PacedHealthLake.js';
import type { HealthLakeApi, HealthLakeResponse } from '../shared/healthlake/types.js';
import { createAuthenticator } from '../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../shared/ingest/DefaultWritePipeline.js';
import { IngestMetricsCollector } from '../shared/ingest/IngestMetricsCollector.js';
import { SqsDeliveryQueue } from '../shared/ingest/SqsDeliveryQueue.js';
import { ActiveSubscriptionCache, InMemorySubscriptionStore } from '../shared/subscriptions/index.js';
import { InMemoryVersionLedger } from '../shared/versions/InMemoryVersionLedger.js';
import { deliveryRecord, observationMessage } from './lib/deliveryEvents.js';
import { inProcessSqs } from './lib/inProcessSqs.js';
import {
  BENCH_ENDPOINTS,
  benchObservation,
  benchPatient,
  proxyEvent,
  saveBenchSubscription,
  saveBenchSubscriptions,
} from './lib/ingestEvents.js';
import { silentPowertools } from './lib/silentPowertools.js';

const SCENARIO_ENV = 'SOAK_BENCH_SCENARIO';
/**
 * V8's heap spaces that hold code (machine code, and the bytecode of the trusted spaces): left out of the
 * growth, because V8 compiles, optimises and flushes code on its own clock (seen: a step of 2.5 MiB down
 * two thirds into a slow paced run, and a slow rise of 0.3 MiB in another) and code is bounded by the
 * program, while what this benchmark looks for is data that piles up.
 */
const CODE_SPACE = /^(code|trusted|shared_trusted)/;
const CHILD_NODE_FLAGS = ['--expose-gc'];
const MIB = 1024 * 1024;
/** Samples before this share of the run are warm-up: left out of the slope. */
const WARM_UP_SHARE = 0.2;

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000000' },
    'paced-messages': { type: 'string', default: '300000' },
    'quota-share': { type: 'string', default: '0.5' },
    writes: { type: 'string', default: '200000' },
    ids: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '20' },
    'limit-mib': { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const SAMPLES = Math.max(5, Number(args.samples));
const IDS = Math.max(10, Number(args.ids));

/** One point of a scenario: messages done and what the heap held after a full GC. */
interface Sample {
  readonly done: number;
  /** The heap after GC without V8's code spaces: what the growth is computed on. */
  readonly heapMiB: number;
  readonly codeMiB: number;
  readonly externalMiB: number;
  readonly rssMiB: number;
  readonly elapsedS: number;
}

/** What a scenario reports when it ends, besides its samples. */
interface Summary {
  readonly done: number;
  readonly elapsedS: number;
  readonly notes: string;
}

// ---------------------------------------------------------------------------------------------------
// Child: one scenario.

const gc = (globalThis as { gc?: () => void }).gc;

/** Prints `line` for the parent (stdout is the channel; a scenario prints nothing else). */
const report = (line: { sample: Sample } | { summary: Summary }) => console.log(JSON.stringify(line));

/**
 * Calls `step(done)` until `total` messages are done (each call says how many it did) and samples the
 * heap after a full GC at `SAMPLES` points; returns the seconds taken.
 */
const soak = async (total: number, step: (done: number) => Promise<number>): Promise<number> => {
  const started = performance.now();
  const sample = (done: number) => {
    gc!();
    gc!();
    const memory = process.memoryUsage();
    const code = getHeapSpaceStatistics()
      .filter((space) => CODE_SPACE.test(space.space_name))
      .reduce((sum, space) => sum + space.space_used_size, 0);
    report({
      sample: {
        done,
        heapMiB: (memory.heapUsed - code) / MIB,
        codeMiB: code / MIB,
        externalMiB: memory.external / MIB,
        rssMiB: memory.rss / MIB,
        elapsedS: (performance.now() - started) / 1000,
      },
    });
  };
  const every = total / SAMPLES;
  let next = every;
  let done = 0;
  sample(0);
  while (done < total) {
    done += await step(done);
    // Between invocations the event loop turns, as it does while Lambda's runtime waits for the next
    // event; without it the in-process peers never yield, and I/O callbacks would pile up.
    await new Promise((resolve) => setImmediate(resolve));
    if (done >= next || done >= total) {
      sample(done);
      while (next <= done) next += every;
    }
  }
  return (performance.now() - started) / 1000;
};

const ENDPOINT = BENCH_ENDPOINTS[0]!;

/** Where log lines and EMF records go: formatted, then dropped (no write to a file per line). */
const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** The data store: 200 at once, or, once given a quota, 429 for every write above it in the current second. */
const dataStore = () => {
  const counts = { ok: 0, throttled: 0 };
  let quota = Infinity;
  let second = 0;
  let inSecond = 0;
  const answer = async (): Promise<HealthLakeResponse> => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      second = now;
      inSecond = 0;
    }
    inSecond += 1;
    if (inSecond > quota) {
      counts.throttled += 1;
      // HealthLake sometimes says how long to wait.
      return {
        status: 429,
        latencyMs: 0,
        ...(counts.throttled % 1000 === 0 ? { retryAfterSeconds: 1 } : {}),
      };
    }
    counts.ok += 1;
    return { status: 200, latencyMs: 0 };
  };
  const api: HealthLakeApi = { put: answer, delete: answer };
  return { api, counts, setQuota: (perSecond: number) => (quota = perSecond) };
};

/** Messages the paced run sends unthrottled first, to measure what this machine delivers per second. */
const CALIBRATION_MESSAGES = 20_000;

/**
 * The deliverer scenarios. `quotaShare`: after `CALIBRATION_MESSAGES` unthrottled, the data store refuses
 * every write above this share of the rate measured over them, so the pacer paces on any machine.
 */
const runDeliverer = async (total: number, quotaShare: number | undefined): Promise<void> => {
  const { sqs, calls } = inProcessSqs();
  const store = dataStore();
  const pacer = new AdaptivePacer();
  const paced = new PacedHealthLake(store.api, pacer);
  const config = delivererConfigFromEnv({
    [ENV.connectorId]: 'soak',
    [ENV.stateTable]: 'soak',
    [ENV.deliveryQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/soak.fifo',
    [ENV.deliveryDlqUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/soak-dlq.fifo',
    [ENV.allowedEndpoints]: ENDPOINT,
    AWS_REGION: 'us-east-1',
  });
  const { logger, metrics } = silentPowertools('deliverer-soak', discard);
  const handler = createDelivererHandler({
    sqs,
    ledger: new InMemoryVersionLedger(),
    delivered: new InMemoryDeliveredVersions(),
    healthLake: () => paced,
    now: Date.now,
    logger,
    metrics,
    config: config.batch,
  });
  let failed = 0;
  let slowestPacedRate = Infinity;
  let pacedBatches = 0;
  let quota: number | undefined;
  let calibrationStarted = 0;
  const elapsedS = await soak(total, async (done) => {
    const batch = done / 10;
    if (quotaShare !== undefined && done === CALIBRATION_MESSAGES / 4) calibrationStarted = performance.now();
    if (quotaShare !== undefined && done === CALIBRATION_MESSAGES) {
      const perSecond = ((CALIBRATION_MESSAGES * 3) / 4 / (performance.now() - calibrationStarted)) * 1000;
      quota = Math.round(perSecond * quotaShare);
      store.setQuota(quota);
    }
    const event: SQSEvent = {
      Records: Array.from({ length: 10 }, (_, r) => {
        const n = done + r;
        const version = String(Math.floor(n / IDS) + 1);
        return deliveryRecord(observationMessage(ENDPOINT, `soak-${n % IDS}`, version), n);
      }),
    };
    const context = {
      functionName: 'deliverer-soak',
      awsRequestId: `soak-${batch}`,
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    failed += (await handler(event, context)).batchItemFailures.length;
    slowestPacedRate = Math.min(slowestPacedRate, pacer.currentRate);
    if (Number.isFinite(pacer.currentRate)) pacedBatches += 1;
    return 10;
  });
  const sqsCalls = [...calls].map(([operation, count]) => `${operation} ${count}`).join(', ') || 'none';
  report({
    summary: {
      done: total,
      elapsedS,
      notes:
        (quota === undefined ? '' : `quota ${quota} writes/s after ${CALIBRATION_MESSAGES} messages; `) +
        `${store.counts.ok} delivered, ${store.counts.throttled} refused (429), ${failed} records reported failed; ` +
        `paced after ${((pacedBatches * 10 * 100) / total).toFixed(0)}% of the messages, ` +
        `slowest paced rate ${Number.isFinite(slowestPacedRate) ? `${slowestPacedRate.toFixed(0)}/s` : 'none (never paced)'}; ` +
        `pacer holds ${pacer.retainedTimes} times at the end; SQS calls: ${sqsCalls}`,
    },
  });
};

const runIngest = async (total: number): Promise<void> => {
  const { sqs, calls } = inProcessSqs();
  const store = new InMemorySubscriptionStore();
  await saveBenchSubscriptions(store, BENCH_ENDPOINTS);
  // The default TTL (5 s): the set is reloaded and its index rebuilt many times during the run.
  const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: BENCH_ENDPOINTS });
  const { logger, metrics } = silentPowertools('ingest-soak', discard);
  const collector = new IngestMetricsCollector();
  const route = createIngestRouter({
    pipeline: new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: cache,
      queue: new SqsDeliveryQueue({
        sqs,
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/soak.fifo',
      }),
    }),
    observer: collector,
    logger,
  });
  const token = 'soak-token';
  const handler = createIngestHandler({
    route,
    authenticator: createAuthenticator({
      modes: ['bearer'],
      tokens: async () => [{ sha256: hashToken(token), scope: 'write' }],
    }),
    collector,
    logger,
    metrics,
  });
  const put = (n: number) => {
    const id = `soak-${n % IDS}`;
    const version = String(Math.floor(n / IDS) + 1);
    return n % 2 ? benchPatient(id, version, n) : benchObservation(id, version, n);
  };
  let refused = 0;
  let changed = 0;
  const elapsedS = await soak(total, async (done) => {
    if (done >= (changed + 1) * 20_000) {
      // A changed subscription, as the subscription API would save it (and invalidate the cache).
      changed += 1;
      await saveBenchSubscription(store, BENCH_ENDPOINTS, changed % 60, changed);
      cache.invalidate();
    }
    // Of every 125 writes, 25 are single PUTs (a rest-hook sender) and 100 one transaction (a sync tool):
    // single requests cost three times as much per write, and still come 40,000 times in 200,000.
    const transaction = done % 125 === 25;
    const resources = transaction ? Array.from({ length: 100 }, (_, k) => put(done + k)) : [put(done)];
    const event = transaction
      ? proxyEvent(token, 'POST', '', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: resources.map((resource) => ({
            resource,
            request: { method: 'PUT', url: `${String(resource.resourceType)}/${String(resource.id)}` },
          })),
        })
      : proxyEvent(
          token,
          'PUT',
          `${String(resources[0]!.resourceType)}/${String(resources[0]!.id)}`,
          resources[0],
        );
    const context = {
      functionName: 'ingest-soak',
      awsRequestId: `soak-${done}`,
      getRemainingTimeInMillis: () => 30_000,
    } as unknown as Context;
    const result = await handler(event, context);
    if (result.statusCode >= 300) refused += resources.length;
    return resources.length;
  });
  const sqsCalls = [...calls].map(([operation, count]) => `${operation} ${count}`).join(', ') || 'none';
  report({
    summary: {
      done: total,
      elapsedS,
      notes: `${refused} writes refused; ${changed} subscription changes; SQS calls: ${sqsCalls}`,
    },
  });
};

// ---------------------------------------------------------------------------------------------------
// Parent: runs each scenario in a child and judges its growth.

/**
 * Heap growth in MiB per million messages: the median of the slopes between every two samples
 * (Theil-Sen), so one sample that V8 happened to leave high or low does not decide the verdict.
 */
const growthPerMillion = (samples: readonly Sample[]): number => {
  const slopes: number[] = [];
  for (let a = 0; a < samples.length; a += 1) {
    for (let b = a + 1; b < samples.length; b += 1) {
      const [first, second] = [samples[a]!, samples[b]!];
      if (second.done > first.done) {
        slopes.push((second.heapMiB - first.heapMiB) / (second.done - first.done));
      }
    }
  }
  slopes.sort((x, y) => x - y);
  const middle = Math.floor(slopes.length / 2);
  const median = slopes.length % 2 ? slopes[middle]! : (slopes[middle - 1]! + slopes[middle]!) / 2;
  return slopes.length === 0 ? 0 : median * 1_000_000;
};

interface Scenario {
  readonly key: string;
  readonly title: string;
  readonly unit: string;
  readonly total: number;
}

const runChild = (scenario: Scenario): Promise<{ samples: Sample[]; summary?: Summary }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...CHILD_NODE_FLAGS, '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      {
        env: { ...process.env, [SCENARIO_ENV]: scenario.key },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const samples: Sample[] = [];
    let summary: Summary | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { sample?: Sample; summary?: Summary };
      if (parsed.sample) {
        samples.push(parsed.sample);
        const s = parsed.sample;
        console.log(
          `  ${String(s.done).padStart(9)} ${scenario.unit}  heap after GC ${s.heapMiB.toFixed(2).padStart(7)} MiB` +
            ` (+ code ${s.codeMiB.toFixed(2)})` +
            `  external ${s.externalMiB.toFixed(1).padStart(5)} MiB  RSS ${s.rssMiB.toFixed(0).padStart(4)} MiB` +
            `  ${s.elapsedS.toFixed(0).padStart(4)} s`,
        );
      }
      if (parsed.summary) summary = parsed.summary;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve({ samples, ...(summary ? { summary } : {}) })
        : reject(new Error(`${scenario.key} exited ${code}`)),
    );
  });

const main = async (): Promise<void> => {
  const limit = Number(args['limit-mib']);
  const scenarios: Scenario[] = [
    {
      key: 'deliver',
      title: 'deliverer, pacing inactive (data store answers 200)',
      unit: 'messages',
      total: Number(args.messages),
    },
    {
      key: 'paced',
      title: `deliverer, pacing active (data store refuses above ${Number(args['quota-share']) * 100}% of its unthrottled rate)`,
      unit: 'messages',
      total: Number(args['paced-messages']),
    },
    {
      key: 'ingest',
      title: `ingest, writes over ${IDS} rotating ids, 100 subscriptions`,
      unit: 'writes  ',
      total: Number(args.writes),
    },
  ].filter((scenario) => args.only === undefined || scenario.key === args.only);
  console.log(
    `Soak: one instance per scenario, heap after a full GC at ${SAMPLES} points; growth = median slope after the first ` +
      `${WARM_UP_SHARE * 100}% (warm-up); limit ${limit} MiB per million; Node ${process.version}`,
  );
  const rows: string[] = [];
  let failed = false;
  for (const scenario of scenarios) {
    console.log(`\n${scenario.title}: ${scenario.total} ${scenario.unit.trim()}`);
    const { samples, summary } = await runChild(scenario);
    const warm = samples.filter((s) => s.done >= WARM_UP_SHARE * scenario.total);
    const growth = growthPerMillion(warm);
    const first = warm[0]!;
    const last = samples.at(-1)!;
    const ok = growth <= limit;
    failed ||= !ok;
    if (summary) console.log(`  ${summary.notes}`);
    console.log(
      `  growth once warm: ${growth.toFixed(2)} MiB per million ${scenario.unit.trim()} ` +
        `(${first.heapMiB.toFixed(1)} -> ${last.heapMiB.toFixed(1)} MiB) ${ok ? 'ok' : `ABOVE the limit of ${limit}`}`,
    );
    rows.push(
      `| ${scenario.title} | ${scenario.total} | ${first.heapMiB.toFixed(1)} -> ${last.heapMiB.toFixed(1)} | ` +
        `${growth.toFixed(2)} | ${(summary?.elapsedS ?? last.elapsedS).toFixed(0)} s |`,
    );
  }
  console.log(
    `\n| scenario | messages | heap after GC without code, warm -> end (MiB) | growth (MiB per million) | time |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  if (failed) {
    console.log(`\nFAILED: heap grows by more than ${limit} MiB per million messages once warm`);
    process.exitCode = 1;
  }
};

const scenario = process.env[SCENARIO_ENV];
if (scenario === undefined) await main();
else {
  if (!gc) throw new Error('run with --expose-gc');
  if (scenario === 'deliver') await runDeliverer(Number(args.messages), undefined);
  else if (scenario === 'paced')
    await runDeliverer(Number(args['paced-messages']), Number(args['quota-share']));
  else await runIngest(Number(args.writes));
}
