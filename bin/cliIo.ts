import { createInterface } from 'node:readline/promises';
import type { parseArgs } from 'node:util';
import { outcomeDiagnostics, type FhirApiClient } from '../shared/operator/FhirApiClient.js';
import type { CliConfig } from './cliConfig.js';
import { GLOBAL_OPTIONS } from './cliConfig.js';
import { SYNC_OPTIONS } from './commands/syncFlags.js';
import { UsageError } from './usage.js';

/** Where the CLI writes; tests pass a capturing implementation. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current line (progress bars); only called when `isTTY`. */
  progress?(line: string): void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on a terminal; absent when no one can answer (stdin is not a terminal). */
  confirm?(question: string): Promise<boolean>;
}

export const processIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (line) => process.stdout.write(`\r\x1b[2K${line}`),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
});

/** `question [y/N]` on stderr; only `y` or `yes` is a yes. */
const askOnTerminal = async (question: string): Promise<boolean> => {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    return /^y(?:es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
};

/**
 * Goes ahead when `--yes` was given or the operator answers yes; refuses (usage error) where no one can
 * answer. Returns false when the operator said no.
 */
export const confirmed = async (context: CommandContext, question: string): Promise<boolean> => {
  if (context.values.yes === true) return true;
  if (!context.io.confirm) throw new UsageError(`${question} Pass --yes to confirm.`);
  return context.io.confirm(question);
};

/** Every option any command reads (node:util parseArgs, strict). */
export const OPTIONS = {
  ...GLOBAL_OPTIONS,
  'show-content': { type: 'boolean' },
  max: { type: 'string' },
  method: { type: 'string' },
  'no-wait': { type: 'boolean' },
  backfill: { type: 'boolean' },
  criteria: { type: 'string' },
  endpoint: { type: 'string' },
  id: { type: 'string' },
  'no-deletes': { type: 'boolean' },
  'no-latest-version': { type: 'boolean' },
  'retry-count': { type: 'string' },
  'strip-version-ids': { type: 'boolean' },
  'payload-search': { type: 'string' },
  'search-url': { type: 'string', multiple: true },
  'resource-id': { type: 'string', multiple: true },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  timeout: { type: 'string' },
  parallel: { type: 'string', short: 'p' },
  type: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  'content-hash': { type: 'boolean' },
  'confirm-prune': { type: 'string' },
  'compare-job': { type: 'string' },
  'prefix-numeric-ids': { type: 'string' },
  retries: { type: 'string' },
  synthea: { type: 'boolean' },
  name: { type: 'string' },
  scope: { type: 'string' },
  mapping: { type: 'string' },
  schema: { type: 'string' },
  'foreign-keys': { type: 'boolean' },
  apply: { type: 'boolean' },
  'sql-url': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  ...SYNC_OPTIONS,
} as const;

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

/** What one command runs with: its subcommand and arguments, the options, the configuration, the output. */
export interface CommandContext {
  readonly sub: string | undefined;
  readonly rest: readonly string[];
  readonly values: Values;
  readonly config: CliConfig;
  readonly io: CliIo;
  /** `--json`: print machine-readable JSON instead of lines. */
  readonly json: boolean;
  /** The connector's FHIR API, with the configured token. */
  api(): FhirApiClient;
}

/** A command's entry point; returns the exit code. */
export type Command = (context: CommandContext) => Promise<number>;

/** JSON under `--json`, else the human lines `human` prints. */
export const print = (context: CommandContext, value: unknown, human: () => void): void =>
  context.json ? context.io.out(JSON.stringify(value, null, 2)) : human();

export const integer = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer`);
  return parsed;
};

/**
 * The queue URL, or a usage error saying where it comes from; when local mode was asked and could not
 * answer, why (connection refused, 401, 403) is the last line, the one to act on.
 */
export const needQueue = (
  config: Pick<CliConfig, 'discoveryProblem' | 'stack'>,
  url: string | undefined,
  what: string,
  flag: string,
  env: string,
): string => {
  if (url) return url;
  if (config.stack) {
    throw new UsageError(
      `No ${what} URL: stack ${config.stack} has no such output (pass --${flag} or set ${env})`,
    );
  }
  const ways = `pass --stack HealthLakeConnector-{connectorId} (reads the stack outputs), --${flag} or ${env}, or start local mode (npm start)`;
  throw new UsageError(
    config.discoveryProblem
      ? `No ${what} URL: ${ways}.\n${config.discoveryProblem}`
      : `No ${what} URL: ${ways}.`,
  );
};

export const age = (seconds: number | undefined): string => {
  if (seconds === undefined) return 'n/a';
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
};

export const bar = (fraction: number, width = 24): string => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

/** What to do about an HTTP status the API answered a CLI request with, when the status alone says it. */
const STATUS_HINTS: Readonly<Record<number, string>> = {
  401: 'the API did not accept the credentials: check --token / HLC_TOKEN (or --iam for an IAM-mode API)',
  403: 'the credentials lack the scope this needs (subscriptions, backfill, reconcile and ledger need an admin token)',
};

/**
 * Prints a failed API answer (status and the OperationOutcome's diagnostics, else what the status
 * means) and returns exit code 1.
 */
export const fail = (io: CliIo, status: number, body: unknown): number => {
  const diagnostics = outcomeDiagnostics(body);
  const hint = STATUS_HINTS[status];
  // A 403's OperationOutcome says which scope it needed; a 401's says only that the token failed.
  const text = status === 401 ? [diagnostics, hint] : [diagnostics || hint];
  const said = text.filter(Boolean).join('; ');
  io.err(`HTTP ${status}${said ? `: ${said}` : ''}`);
  return 1;
};

/** One poll of a job: its progress line and fraction done, or the final state; undefined when unreadable. */
export interface JobPoll {
  readonly jobId: string;
  readonly state: string;
  readonly final: boolean;
  readonly fraction: number;
  readonly line: string;
}

/**
 * Polls a job until it ends (`--interval`, `--timeout`): a progress bar on a terminal, a line every
 * 10 s otherwise. `poll` answers the job or, when it cannot be read, the exit code it printed.
 */
export const watchJob = async (
  context: CommandContext,
  poll: () => Promise<JobPoll | number>,
  onFinal: (job: JobPoll) => number,
): Promise<number> => {
  const { values, io, json } = context;
  const interval = integer(values.interval, 'interval', 2) * 1000;
  const deadline = values.timeout ? Date.now() + integer(values.timeout, 'timeout', 1) * 1000 : Infinity;
  let lastLine = 0;
  for (;;) {
    const job = await poll();
    if (typeof job === 'number') return job;
    if (job.final) {
      if (!json && io.isTTY && io.progress) io.out(''); // ends the progress line
      return onFinal(job);
    }
    if (!json && io.isTTY && io.progress) io.progress(`${bar(job.fraction)} ${job.line}`);
    else if (!json && Date.now() - lastLine >= 10_000) {
      lastLine = Date.now();
      io.out(job.line);
    }
    if (Date.now() > deadline) {
      io.err(`job ${job.jobId} still ${job.state} at the --timeout`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
};
