/**
 * `npm run bench -- e2e [--parallel N] [--concurrency N] [--dir folder]`: local mode end to end.
 * Measures time from start to ready, then sends every Synthea transaction Bundle to the ingest API and
 * measures resources per second until the HealthLake stand-in holds every resource.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startConnector } from '../local/connector.js';
import { FhirApiClient } from '../shared/operator/FhirApiClient.js';
import { sendResources } from '../shared/operator/sendResources.js';

const { values } = parseArgs({
  options: {
    parallel: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '8' },
    dir: { type: 'string' },
  },
});
const dir = resolve(
  values.dir ?? join(fileURLToPath(new URL('.', import.meta.url)), '../../shared/fixtures/synthea-r4'),
);
if (!existsSync(dir)) {
  console.error(`No Synthea fixtures at ${dir}; pass --dir <folder of transaction Bundles>`);
  process.exit(2);
}
const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
let expected = 0;
for (const file of files) {
  const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { entry?: unknown[] };
  expected += bundle.entry?.length ?? 0;
}

const started = Date.now();
const connector = await startConnector({
  apiPort: 0,
  logLevel: 'warn',
  progress: 'off',
  deliveryConcurrency: Number(values.concurrency),
});
const readyMs = Date.now() - started;
try {
  const healthlake = connector.healthlake;
  if (!healthlake) throw new Error('the benchmark needs the HealthLake stand-in');
  const client = new FhirApiClient({ baseUrl: connector.apiUrl, token: connector.token });
  const sendStarted = Date.now();
  const summary = await sendResources(client, [dir], { parallel: Number(values.parallel) });
  const ingestMs = Date.now() - sendStarted;
  if (summary.failed > 0) throw new Error(`${summary.failed} resources failed to ingest`);
  const deadline = Date.now() + 15 * 60_000;
  while (healthlake.count() < expected && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
  }
  const totalMs = Date.now() - sendStarted;
  const held = healthlake.count();
  console.log(`e2e (local mode, ${files.length} Synthea Bundles, ${expected} resources)`);
  console.log(`  start to ready:            ${readyMs} ms (connector reports ${connector.readyMs} ms)`);
  console.log(
    `  ingest (${values.parallel} parallel):      ${(ingestMs / 1000).toFixed(1)} s, ${Math.round((expected / ingestMs) * 1000)} resources/s accepted`,
  );
  console.log(
    `  end to end (deliverer x${values.concurrency}): ${(totalMs / 1000).toFixed(1)} s, ${Math.round((held / totalMs) * 1000)} resources/s into HealthLake`,
  );
  console.log(`  HealthLake holds ${held}/${expected}; ${connector.stats.line()}`);
  if (held < expected) process.exitCode = 1;
} finally {
  await connector.stop();
}
