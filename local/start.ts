/**
 * Local mode (`npm start`): the whole connector on one machine, with the same handler code as in
 * Lambda, real wire protocols and embedded stand-ins (fauxqs, dynalite, HealthLake + STS, a source
 * FHIR server). `startConnector(options)` (local/connector.ts) does the same in-process for tests and
 * benchmarks.
 */
import { fileURLToPath } from 'node:url';
import { readyBanner } from './banner.js';
import { localUsage } from './config.js';
import { startConnector, type LocalConnector } from './connector.js';
import { startProgress } from './progress.js';

/** `npm start`: starts, prints the banner, shows progress, stops cleanly on SIGINT/SIGTERM. */
const main = async () => {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(localUsage());
    return;
  }
  let connector: LocalConnector;
  try {
    connector = await startConnector({ argv, env: process.env });
  } catch (error) {
    console.error(`Local mode failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log(readyBanner(connector));
  const progress = startProgress(connector.stats, { mode: connector.config.progress, sink: process.stdout });
  connector.attachProgress(progress);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    progress.stop();
    console.log(`\n${signal}: stopping pollers and servers...`);
    await connector.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
