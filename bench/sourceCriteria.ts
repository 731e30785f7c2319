/**
 * `npm run bench -- sourceCriteria [--writes N] [--patients N]`
 *
 * The extra cost per write of criteria the source server evaluates (chains, `_has`, ...: issue 23
 * item 3). The deliverer delivers the same Observations twice, one at a time, to an in-process sink
 * that answers 200 at once: once for a Subscription the in-memory matcher decides alone
 * (`Observation?status=final`), once for `Observation?subject:Patient.name=peter`, whose chain it
 * decides with a search `Observation?_id={id}&subject:Patient.name=peter&_elements=id` on the source
 * FHIR server (here the source stand-in over loopback HTTP, holding `--patients` Patients with one
 * Observation each). Prints wall time per write (mean, p50, p99) of both and the difference, and the
 * source requests per write. Ingest's side is unchanged: the in-memory part of the criteria is matched
 * as before, and the chain only names what the deliverer asks the source.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startFhirSourceStandin } from '../local/standins/healthlake/index.js';
import { deliverMessage } from '../shared/delivery/deliverMessage.js';
import type { DeliverMessageDeps } from '../shared/delivery/types.js';
import { FhirClient } from '../shared/fhirClient/FhirClient.js';
import type { HealthLakeApi } from '../shared/healthlake/types.js';
import { checkSourceResource } from '../shared/ingest/checkSourceResource.js';
import type { DeliveryMessage } from '../shared/messages/deliveryMessage.js';
import { observation, observationMessage } from './lib/deliveryEvents.js';

const { values: args } = parseArgs({
  options: {
    writes: { type: 'string', default: '2000' },
    patients: { type: 'string', default: '1000' },
  },
});
const WRITES = Number(args.writes);
const PATIENTS = Number(args.patients);
const ENDPOINT = 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';
const CHAIN = 'Observation?subject:Patient.name=peter';

/** HealthLake that answers 200 at once: the figure is the deliverer's and the source's, not HealthLake's. */
const sink: HealthLakeApi = {
  put: async () => ({ status: 200, latencyMs: 0 }),
  delete: async () => ({ status: 200, latencyMs: 0 }),
};

const source = await startFhirSourceStandin({ maxRecordedRequests: 1000 });
for (let index = 0; index < PATIENTS; index += 1) {
  const id = `bench-patient-${index}`;
  source.store.put({
    resourceType: 'Patient',
    id,
    name: [{ family: 'Bench', given: [index % 2 === 0 ? 'Peter' : 'Ann'] }],
  });
  source.store.put({
    ...observation(`bench-obs-${index}`, '1'),
    subject: { reference: `Patient/${id}` },
  } as Parameters<typeof source.store.put>[0]);
}
const reader = new FhirClient({ baseUrl: source.endpoint, requestsPerSecond: 0, retry: { maxAttempts: 1 } });
const deps: DeliverMessageDeps = {
  healthLake: () => sink,
  source: async () => ({ reader, check: checkSourceResource }),
  now: Date.now,
};

const messageFor = (index: number, sourceCriteria?: string[]): DeliveryMessage => {
  const id = `bench-obs-${index % PATIENTS}`;
  const base = observationMessage(ENDPOINT, id, '1');
  const resource = {
    ...observation(id, '1'),
    subject: { reference: `Patient/bench-patient-${index % PATIENTS}` },
  };
  return {
    ...base,
    payload: { kind: 'inline', resource },
    subscription: { ...base.subscription, ...(sourceCriteria ? { sourceCriteria } : {}) },
  };
};

const run = async (sourceCriteria?: string[]) => {
  const times: number[] = [];
  const outcomes = new Map<string, number>();
  for (let index = 0; index < WRITES; index += 1) {
    const message = messageFor(index, sourceCriteria);
    const start = performance.now();
    const outcome = await deliverMessage(message, { attempt: 1 }, deps);
    times.push(performance.now() - start);
    outcomes.set(outcome.kind, (outcomes.get(outcome.kind) ?? 0) + 1);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
  const at = (quantile: number) => times[Math.min(times.length - 1, Math.floor(quantile * times.length))]!;
  return { mean, p50: at(0.5), p99: at(0.99), outcomes };
};

console.log(
  `load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(
      ' ',
    )} on ${availableParallelism()} cores; ${WRITES} writes one at a time, ${PATIENTS} Patients with one Observation each on the source stand-in`,
);
// Warm-up: JIT, keep-alive connection, the validator's definitions.
await run();
await run([CHAIN]);
const format = (ms: number) => `${ms.toFixed(3)} ms`;
const requestsBefore = source.requests.length;
const plain = await run();
const searchesPlain = source.requests.length - requestsBefore;
const sourceSeqBefore = source.requests.at(-1)?.seq ?? 0;
const chained = await run([CHAIN]);
const searches = (source.requests.at(-1)?.seq ?? 0) - sourceSeqBefore;
for (const [name, result] of [
  ['in-memory criteria', plain],
  [`source-evaluated ${CHAIN}`, chained],
] as const) {
  console.log(
    `${name.padEnd(58)} mean ${format(result.mean)}  p50 ${format(result.p50)}  p99 ${format(result.p99)}  ${[
      ...result.outcomes,
    ]
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')}`,
  );
}
console.log(
  `extra per write: mean ${format(chained.mean - plain.mean)}, p50 ${format(chained.p50 - plain.p50)}; source requests per write ${(searchesPlain / WRITES).toFixed(2)} -> ${(searches / WRITES).toFixed(2)}`,
);
await source.stop();
