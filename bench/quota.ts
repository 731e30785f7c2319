/**
 * `npm run bench -- quota [--quota 300] [--concurrency 2,4,8,16] [--pacing off,on] [--seconds 10]
 *                         [--versions 3] [--p50 80] [--p99 400] [--load 0.8]`
 *
 * How close the connector gets to HealthLake's write quota when a PUT takes as long as a real one.
 * For each event source mapping concurrency N (MaximumConcurrency), local mode (the real ingest, queue
 * and deliverer code) runs against the HealthLake stand-in with a lognormal service time (p50/p99
 * given) and a token-bucket write quota that answers 429 above it. HealthLake allows 3,000 writes/s per
 * data store (300/s before 2023-08-21); the default here is 300/s, which fits two cores.
 *
 * Two phases per N:
 *  1. saturation: `quota x seconds` resources are ingested while the deliverer is stopped, then it
 *     drains them: deliveries/s as a fraction of the quota, and the 429 rate;
 *  2. latency: a producer offers `--load` x the quota for `--seconds`, every 100 ms a batch Bundle,
 *     each resource receiving `--versions` versions 1 s apart: p50 and p99 from ingest to HealthLake.
 * Each N runs without and with the deliverer's adaptive pacing after 429s (HEALTHLAKE_ADAPTIVE_PACING,
 * the reference and the default). Both phases check the final state is exact: every resource holds its last version, no resource ever
 * received an older version after a newer one, nothing was dead-lettered.
 */
import { parseArgs } from 'node:util';
import { startConnector, type LocalConnector } from '../local/connector.js';
import type { FhirStandin } from '../local/standins/healthlake/index.js';

const { values } = parseArgs({
  options: {
    quota: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '2,4,8,16' },
    pacing: { type: 'string', default: 'off,on' },
    seconds: { type: 'string', default: '10' },
    versions: { type: 'string', default: '3' },
    load: { type: 'string', default: '0.8' },
    p50: { type: 'string', default: '80' },
    p99: { type: 'string', default: '400' },
  },
});
const QUOTA = Number(values.quota);
const SECONDS = Number(values.seconds);
const VERSIONS = Number(values.versions);
const LOAD = Number(values.load);
const LATENCY = { p50Ms: Number(values.p50), p99Ms: Number(values.p99) };
const TICK_MS = 100;
/** Versions of a resource arrive this many ticks (1 s) apart. */
const SPACING = 10;

interface Write {
  readonly id: string;
  readonly version: number;
}

interface Measured {
  readonly writes: number;
  readonly perSecond: number;
  readonly throttledRate: number;
  readonly latencies: number[];
  readonly problems: string[];
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

const batchOf = (writes: readonly Write[]) => ({
  resourceType: 'Bundle',
  type: 'batch',
  entry: writes.map(({ id, version }) => ({
    request: { method: 'PUT', url: `Patient/${id}` },
    resource: {
      resourceType: 'Patient',
      id,
      meta: {
        versionId: String(version),
        lastUpdated: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
      },
      multipleBirthInteger: version,
    },
  })),
});

const send = async (connector: LocalConnector, writes: readonly Write[]): Promise<void> => {
  const response = await fetch(`${connector.apiUrl}/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${connector.token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(batchOf(writes)),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`batch answered ${response.status}`);
};

/** Waits until every resource holds its last version (or something was dead-lettered). */
const settle = async (connector: LocalConnector, healthlake: FhirStandin, last: Map<string, number>) => {
  const deadline = Date.now() + 10 * 60_000;
  const pending = new Set(last.keys());
  while (pending.size > 0 && Date.now() < deadline && connector.stats.deadLettered === 0) {
    for (const id of pending) {
      if (
        healthlake.current<{ multipleBirthInteger?: number }>('Patient', id)?.multipleBirthInteger ===
        last.get(id)
      )
        pending.delete(id);
    }
    if (pending.size > 0) await sleep(100);
  }
};

/** Throughput, 429s, latency, ordering and final state of the writes to ids starting with `prefix`. */
const measure = (
  connector: LocalConnector,
  healthlake: FhirStandin,
  prefix: string,
  last: Map<string, number>,
  ingestedAt: Map<string, number>,
  throttledBefore: number,
): Measured => {
  const latencies: number[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  let first = Infinity;
  let end = 0;
  let writes = 0;
  let requests = 0;
  for (const request of healthlake.requests) {
    if (request.method !== 'PUT' || !request.id?.startsWith(prefix)) continue;
    requests += 1;
    if (request.status >= 300) continue;
    writes += 1;
    const version = Number(request.versionId);
    if ((seen.get(request.id) ?? 0) > version)
      problems.push(`Patient/${request.id} got v${version} after a newer one`);
    seen.set(request.id, Math.max(version, seen.get(request.id) ?? 0));
    const started = Date.parse(request.time);
    const completed = started + request.durationMs;
    first = Math.min(first, started);
    end = Math.max(end, completed);
    const sent = ingestedAt.get(`${request.id}/${version}`);
    if (sent !== undefined) latencies.push(completed - sent);
  }
  for (const [id, version] of last) {
    const held = healthlake.current<{ multipleBirthInteger?: number }>('Patient', id)?.multipleBirthInteger;
    if (held !== version) problems.push(`Patient/${id} holds v${held ?? 'none'}, not v${version}`);
  }
  if (connector.stats.deadLettered > 0) problems.push(`${connector.stats.deadLettered} dead-lettered`);
  return {
    writes,
    perSecond: (writes / (end - first)) * 1000,
    throttledRate: (healthlake.faults.quotaThrottled - throttledBefore) / Math.max(1, requests),
    latencies: latencies.sort((a, b) => a - b),
    problems: problems.slice(0, 3),
  };
};

/** Phase 1: a backlog of one version per resource, ingested with the deliverer stopped, then drained. */
const saturation = async (connector: LocalConnector, healthlake: FhirStandin): Promise<Measured> => {
  const prefix = 'sat-';
  const last = new Map<string, number>();
  // pause, not stop: an aborted long poll would leave its messages invisible until their timeout.
  await connector.delivery.pause();
  const ids = Array.from({ length: QUOTA * SECONDS }, (_, index) => `${prefix}${index}`);
  for (const id of ids) last.set(id, 1);
  const chunks = Array.from({ length: Math.ceil(ids.length / 50) }, (_, index) =>
    ids.slice(index * 50, (index + 1) * 50).map((id) => ({ id, version: 1 })),
  );
  for (let index = 0; index < chunks.length; index += 4) {
    await Promise.all(chunks.slice(index, index + 4).map((chunk) => send(connector, chunk)));
  }
  const throttledBefore = healthlake.faults.quotaThrottled;
  await connector.delivery.start();
  await settle(connector, healthlake, last);
  return measure(connector, healthlake, prefix, last, new Map(), throttledBefore);
};

/** Phase 2: `LOAD` x the quota, versions 1 s apart, for SECONDS; latency from ingest to HealthLake. */
const steadyLoad = async (connector: LocalConnector, healthlake: FhirStandin): Promise<Measured> => {
  const prefix = 'lat-';
  const block = Math.max(1, Math.round((QUOTA * LOAD * TICK_MS) / 1000 / VERSIONS));
  const blocks = Math.floor((SECONDS * 1000) / TICK_MS);
  const last = new Map<string, number>();
  const ingestedAt = new Map<string, number>();
  const throttledBefore = healthlake.faults.quotaThrottled;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let tick = 0; tick < blocks + (VERSIONS - 1) * SPACING; tick++) {
    await sleep(started + tick * TICK_MS - performance.now());
    // Version v of block (tick - (v - 1) * SPACING): each tick carries one version of VERSIONS blocks.
    const writes: Write[] = [];
    for (let version = 1; version <= VERSIONS; version++) {
      const current = tick - (version - 1) * SPACING;
      if (current < 0 || current >= blocks) continue;
      for (let index = 0; index < block; index++)
        writes.push({ id: `${prefix}${current * block + index}`, version });
    }
    const sentAt = Date.now();
    for (const { id, version } of writes) {
      ingestedAt.set(`${id}/${version}`, sentAt);
      last.set(id, version);
    }
    if (writes.length > 0) sends.push(send(connector, writes));
  }
  await Promise.all(sends);
  await settle(connector, healthlake, last);
  return measure(connector, healthlake, prefix, last, ingestedAt, throttledBefore);
};

console.log(
  `Quota saturation: quota ${QUOTA} writes/s; PUT latency lognormal p50 ${LATENCY.p50Ms} ms, p99 ${LATENCY.p99Ms} ms; ` +
    `batch size 10; Lambda retry backoff (2 s base, 300 s max)`,
);
console.log(
  `  saturation: ${QUOTA * SECONDS} queued writes drained; latency: ${Math.round(QUOTA * LOAD)} writes/s offered for ${SECONDS} s, ${VERSIONS} versions per resource 1 s apart`,
);
console.log(
  'concurrency  pacing  drain writes/s  of quota  429 rate  retries  ingest->HealthLake p50    p99  final state',
);
const needed = new Map<string, number>();
let wrong = false;
const runs = values.concurrency
  .split(',')
  .map(Number)
  .flatMap((concurrency) => values.pacing.split(',').map((pacing) => ({ concurrency, pacing })));
for (const { concurrency, pacing } of runs) {
  const connector = await startConnector({
    adaptivePacing: pacing === 'on',
    apiPort: 0,
    logLevel: 'silent',
    progress: 'off',
    deliveryConcurrency: concurrency,
    // The Lambda's backoff (DELIVERY_RETRY_BASE_SECONDS / _MAX_SECONDS defaults), not local mode's.
    retryBaseSeconds: 2,
    retryMaxSeconds: 300,
  });
  try {
    const healthlake = connector.healthlake;
    if (!healthlake) throw new Error('the benchmark needs the HealthLake stand-in');
    healthlake.faults.set({ latency: LATENCY, writesPerSecond: QUOTA, seed: concurrency });
    const drained = await saturation(connector, healthlake);
    const retriedInDrain = connector.stats.retried;
    const steady = await steadyLoad(connector, healthlake);
    const problems = [...drained.problems, ...steady.problems];
    wrong ||= problems.length > 0;
    if (!needed.has(pacing) && drained.perSecond >= 0.9 * QUOTA && problems.length === 0)
      needed.set(pacing, concurrency);
    console.log(
      [
        String(concurrency).padStart(11),
        pacing.padStart(7),
        drained.perSecond.toFixed(0).padStart(15),
        `${((drained.perSecond / QUOTA) * 100).toFixed(0)}%`.padStart(9),
        `${(drained.throttledRate * 100).toFixed(1)}%`.padStart(9),
        String(retriedInDrain).padStart(8),
        `${percentile(steady.latencies, 0.5).toFixed(0)} ms`.padStart(22),
        `${percentile(steady.latencies, 0.99).toFixed(0)} ms`.padStart(8),
        problems.length === 0 ? '  exact' : `  WRONG: ${problems.join('; ')}`,
      ].join(' '),
    );
  } finally {
    await connector.stop();
  }
}
for (const pacing of values.pacing.split(',')) {
  const concurrency = needed.get(pacing);
  console.log(
    concurrency === undefined
      ? `pacing ${pacing}: no concurrency tried reached 90% of the quota`
      : `pacing ${pacing}: concurrency needed for >= 90% of the quota: ${concurrency} (of those tried)`,
  );
}
if (wrong) process.exitCode = 1;
