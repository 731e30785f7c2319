/**
 * `npm run bench -- sync [--resources 100000] [--page-size 500] [--parallel 8]`
 *
 * `hlc sync` from a FHIR server: the source stand-in seeded with synthetic-but-valid resources, the CLI
 * itself (`runCli(['sync', ...])`) in its own process so its memory is its own, and a minimal ingest
 * sink that answers 201 to every PUT. Prints resources/s and the CLI process's peak RSS: the source is
 * streamed page by page, so the peak stays flat as the source grows (compare `--resources 10000`).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateResources as generate } from '../test/helpers/syntheticResources.js';

const CHILD_FLAG = 'HLC_SYNC_BENCH_CLI';

/** The CLI process: one `hlc sync` run, then its peak RSS to the parent. */
const runChild = async (): Promise<void> => {
  const { runCli } = await import('../bin/runCli.js');
  const lines: string[] = [];
  const io = {
    out: (line: string) => lines.push(line),
    err: (line: string) => lines.push(line),
    isTTY: false,
    env: {},
  };
  const args = JSON.parse(process.env.BENCH_SYNC_ARGS ?? '[]') as string[];
  const started = performance.now();
  const code = await runCli(['sync', ...args], io);
  const elapsedMs = performance.now() - started;
  process.send?.({
    code,
    elapsedMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    lines: lines.slice(-3),
  });
};

const runBench = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '100000' },
      'page-size': { type: 'string', default: '500' },
      parallel: { type: 'string', default: '8' },
    },
  });
  const total = Number(values.resources);
  const { seedResources, startFhirSourceStandin } = await import('../local/standins/healthlake/index.js');
  const source = await startFhirSourceStandin();
  let written = 0;
  const sink = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      written += 1;
      response.writeHead(201, { 'content-type': 'application/fhir+json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  try {
    const seeded = seedResources(
      source.store,
      generate(total) as unknown as Parameters<typeof seedResources>[1],
    );
    const types = Object.keys(seeded.byType);
    console.log(`seeded ${seeded.written} resources`, seeded.byType);
    const args = [
      source.endpoint,
      '--type',
      types.join(','),
      '--api',
      `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      '--token',
      'bench',
      '--parallel',
      values.parallel,
      '--source-page-size',
      values['page-size'],
      '--source-requests-per-second',
      '0',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [CHILD_FLAG]: '1', BENCH_SYNC_ARGS: JSON.stringify(args) },
    });
    const result = await new Promise<{
      code: number;
      elapsedMs: number;
      peakRssBytes: number;
      lines: string[];
    }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as never));
      child.once('exit', (code) => reject(new Error(`sync process exited early (${code})`)));
    });
    child.kill();
    if (result.code !== 0 || written !== seeded.written) {
      throw new Error(
        `sync exited ${result.code} with ${written}/${seeded.written} written: ${result.lines.join(' | ')}`,
      );
    }
    const seconds = result.elapsedMs / 1000;
    console.log(
      JSON.stringify({
        resources: written,
        pageSize: Number(values['page-size']),
        parallel: Number(values.parallel),
        seconds: Number(seconds.toFixed(1)),
        resourcesPerSecond: Math.round(written / seconds),
        cliPeakRssMiB: Math.round(result.peakRssBytes / 1024 / 1024),
      }),
    );
  } finally {
    sink.closeAllConnections();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
    await source.stop();
  }
};

if (process.env[CHILD_FLAG]) await runChild();
else await runBench();
