/**
 * SQL target throughput: the Synthea set through the default transformers into the embedded database
 * (PGlite over its socket) and into a real PostgreSQL when one is configured (HLC_BENCH_POSTGRES_URL, or
 * HLC_TEST_POSTGRES_URL as `bash scripts/startPostgres.sh` prints it). Two passes each: every resource
 * as version 1 into empty tables (inserts), then as version 2 (each row updated, its child rows
 * replaced). Resources/s counts resources applied (types without a transformer are not written); rows/s
 * counts top-level and child rows written. The R4 definitions are loaded first, as in a warm writer.
 *
 * `npm run bench -- sql [--batch 100] [--concurrency 2] [--foreign-keys] [--prepare]` (`--prepare`: named
 * prepared statements on the real server)
 */
import { loadavg } from 'node:os';
import { startEmbeddedPostgres } from '../local/standins/pglite.js';
import { ensureStructureDefinitions } from '../shared/ingest/validateFhirResource.js';
import { applyChanges } from '../shared/sqlTarget/applyChanges.js';
import { buildRows } from '../shared/sqlTarget/buildRows.js';
import { compileMapping } from '../shared/sqlTarget/compileMapping.js';
import { DEFAULT_MAPPING } from '../shared/sqlTarget/defaultMapping.js';
import { generateDdl } from '../shared/sqlTarget/generateDdl.js';
import { PgSqlClient } from '../shared/sqlTarget/PgSqlClient.js';
import type { SqlChange } from '../shared/sqlTarget/types.js';
import { SYNTHEA_DIR, hasSynthea, loadSyntheaResources } from '../test/helpers/synthea.js';

const option = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const batchSize = option('batch', 100);
const foreignKeys = process.argv.includes('--foreign-keys');
const prepareStatements = process.argv.includes('--prepare');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

if (!hasSynthea()) {
  console.log(`sql: skipped, the Synthea fixtures are not at ${SYNTHEA_DIR} (set HLC_SYNTHEA_DIR)`);
  process.exit(0);
}

const resources = loadSyntheaResources({ asStored: true });
const definitions = ensureStructureDefinitions();
for (const resource of resources) definitions.loadTypesIn(resource);
const changes = (version: number): SqlChange[] =>
  resources.map((resource) => ({
    operation: 'upsert',
    resourceType: resource.resourceType as string,
    id: resource.id as string,
    version,
    resource,
  }));

/** The mapping alone (FHIRPath and conversion, no database): the ceiling of a single thread. */
const mappingOnly = (): { perSecond: number; mapped: number } => {
  const mapping = compileMapping(DEFAULT_MAPPING);
  const mapped = resources.filter((r) => mapping.transformers.has(r.resourceType as string));
  const build = (resource: (typeof mapped)[number]) =>
    buildRows(mapping.transformers.get(resource.resourceType as string)!, {
      resourceType: resource.resourceType as string,
      id: resource.id as string,
      version: 1,
      resource,
    });
  mapped.slice(0, 500).forEach(build); // warm-up
  const start = performance.now();
  mapped.forEach(build);
  return { perSecond: mapped.length / ((performance.now() - start) / 1000), mapped: mapped.length };
};

/** Splits changes into streams by resource, so each resource's versions stay in one stream, in order. */
const streams = (list: readonly SqlChange[], count: number): SqlChange[][] => {
  const out: SqlChange[][] = Array.from({ length: count }, () => []);
  list.forEach((change, index) => out[index % count]?.push(change));
  return out;
};

const pass = async (client: PgSqlClient, schema: string, version: number, concurrency: number) => {
  const mapping = compileMapping({ ...DEFAULT_MAPPING, schema });
  const start = performance.now();
  const results = (
    await Promise.all(
      streams(changes(version), concurrency).map((stream) =>
        applyChanges(client, mapping, stream, { batchSize, definitions }),
      ),
    )
  ).flat();
  const seconds = (performance.now() - start) / 1000;
  const failed = results.filter((r) => r.outcome === 'failed');
  if (failed.length > 0) throw new Error(`${failed.length} resources failed: ${failed[0]?.error?.message}`);
  const applied = results.filter((r) => r.outcome === 'applied').length;
  const rows = results.reduce((sum, r) => sum + Object.values(r.written).reduce((a, b) => a + b, 0), 0);
  return { applied, rows, seconds };
};

const run = async (label: string, url: string, concurrency: number, prepare = false): Promise<void> => {
  const client = new PgSqlClient({
    connectionString: url,
    maxConnections: concurrency,
    prepareStatements: prepare,
  });
  const schema = `hlc_bench_${process.pid}`;
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const statement of generateDdl(compileMapping({ ...DEFAULT_MAPPING, schema }), { foreignKeys }))
      await client.query(statement);
    for (const [name, version] of [
      ['insert', 1],
      ['update', 2],
    ] as const) {
      const { applied, rows, seconds } = await pass(client, schema, version, concurrency);
      console.log(
        `${label.padEnd(11)} ${name.padEnd(7)} ${fmt(applied).padStart(6)} resources  ${fmt(rows).padStart(7)} rows  ` +
          `${seconds.toFixed(2).padStart(6)} s  ${fmt(applied / seconds).padStart(6)} resources/s  ${fmt(rows / seconds).padStart(7)} rows/s`,
      );
    }
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client.close();
  }
};

const concurrency = option('concurrency', 2);
const { perSecond, mapped } = mappingOnly();
console.log(
  `corpus: ${resources.length} Synthea resources, ${mapped} of the 8 default types; batch ${batchSize}, ` +
    `${foreignKeys ? 'with' : 'without'} foreign keys${prepareStatements ? ', prepared statements' : ''}; node ${process.version}; load average ${load()}`,
);
console.log(`mapping only (FHIRPath + conversion, one thread): ${fmt(perSecond)} resources/s\n`);

const embedded = await startEmbeddedPostgres();
try {
  // PGlite is one session: one connection, whatever --concurrency says.
  await run('PGlite', embedded.url, 1);
} finally {
  await embedded.stop();
}
const real = process.env.HLC_BENCH_POSTGRES_URL ?? process.env.HLC_TEST_POSTGRES_URL;
if (real) await run('PostgreSQL', real, concurrency, prepareStatements);
else
  console.log(
    'PostgreSQL  skipped: set HLC_BENCH_POSTGRES_URL (or HLC_TEST_POSTGRES_URL="$(bash scripts/startPostgres.sh)")',
  );
console.log(`\nload average at the end: ${load()}`);
