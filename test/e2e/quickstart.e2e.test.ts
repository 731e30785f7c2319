import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './e2eHelpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START = '<!-- quickstart:start -->';
const END = '<!-- quickstart:end -->';

/** The shell commands of the quickstart block (between the markers), without comments. */
const quickstartCommands = (file: string): string[] | undefined => {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return undefined;
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start, end))?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
};

describe('The README quickstart', () => {
  const commands = quickstartCommands(join(ROOT, 'README.md')) ?? [];
  let server: ChildProcess | undefined;

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      process.kill(-server.pid, 'SIGINT');
      await new Promise((done) => server?.once('exit', done));
    }
  });

  it('is a block of commands in README.md that starts with the install', () => {
    expect(commands.length).toBeGreaterThan(2);
    expect(commands[0]).toBe('npm ci');
  });

  it(
    'runs as written: npm start with the source seeded, a curl, the CLI sending files, status, the HealthLake stand-in, backfill and reconcile',
    { timeout: 180_000 },
    async () => {
      // `npm ci` is not rerun: the suite runs from an installed tree.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HLC_API_PORT: '0',
        HLC_PROGRESS: 'lines',
        HLC_LOG_LEVEL: 'warn',
      };
      let banner = '';
      const results: { command: string; status: number | null; stdout: string }[] = [];
      for (const command of commands.slice(1)) {
        if (command === 'npm start' || command.startsWith('npm start -- ')) {
          // Port 0 instead of 8080, so the test never collides with a running local mode.
          const options = command === 'npm start' ? [] : command.slice('npm start '.length).split(' ');
          server = spawn('npm', ['start', ...options], {
            cwd: ROOT,
            env,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          server.stdout?.on('data', (chunk: Buffer) => (banner += chunk.toString('utf8')));
          server.stderr?.on('data', (chunk: Buffer) => (banner += chunk.toString('utf8')));
          await waitFor(
            () => /export HLC_API_URL=\S+ HLC_TOKEN=\S+/.test(banner) || server?.exitCode !== null,
            {
              timeoutMs: 60_000,
              message: () => `npm start banner; output so far:\n${banner}`,
            },
          );
          continue;
        }
        if (command.startsWith('export HLC_API_URL=')) {
          // The placeholder line: take the values npm start printed.
          const [, url, token] = /export HLC_API_URL=(\S+) HLC_TOKEN=(\S+)/.exec(banner) ?? [];
          env.HLC_API_URL = url;
          env.HLC_TOKEN = token;
          continue;
        }
        const result = spawnSync('bash', ['-c', command], {
          cwd: ROOT,
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        results.push({ command, status: result.status, stdout: `${result.stdout}\n${result.stderr}` });
      }
      expect(banner).toContain('ready in');
      expect(env.HLC_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(results.filter((result) => result.status !== 0)).toEqual([]);
      expect(results.find((result) => result.command.startsWith('curl'))?.stdout).toContain(
        '"resourceType":"Patient"',
      );
      expect(results.find((result) => result.command.includes('cli -- status'))?.stdout).toContain(
        'delivery-dlq',
      );
      const output = (fragment: string) =>
        results.find((result) => result.command.includes(fragment))?.stdout ?? '';
      // The first `local healthlake list` (the summary) shows the curl's PUT reaching HealthLake.
      expect(output('cli -- local healthlake list')).toMatch(/PUT {4}Patient\/example {2}201/);
      expect(output('backfill start')).toMatch(/completed {2}read 2 {2}matched 2 {2}enqueued 2/);
      // The source holds every resource the Quickstart wrote: nothing is only in HealthLake.
      expect(output('reconcile start')).toMatch(/^total +5 +0 +0 +0 /m);
      await waitFor(
        async () => {
          const response = await fetch(`${env.HLC_API_URL}/_local/stats`, {
            headers: { authorization: `Bearer ${env.HLC_TOKEN}` },
          });
          const stats = (await response.json()) as { delivered: number };
          return stats.delivered >= 5;
        },
        { timeoutMs: 20_000, message: 'the quickstart writes delivered' },
      );
    },
  );
});
