/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, which prints its own figures.
 * Benchmarks: deliver, ingest, match, backfill, e2e, sql, idSelector, soak (memory under sustained load),
 * and more. Helpers shared by benchmarks live in bench/lib/ (not benchmarks themselves).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
  .map((file) => file.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(join(here, `${name}.ts`));
