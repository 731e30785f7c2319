import { parseArgs } from 'node:util';
import { apiClientFor, resolveCliConfig } from './cliConfig.js';
import { OPTIONS, type CliIo, type Command } from './cliIo.js';
import { backfill } from './commands/backfill.js';
import { delivery } from './commands/delivery.js';
import { dlq } from './commands/dlq.js';
import { ledger } from './commands/ledger.js';
import { local } from './commands/local.js';
import { reconcile } from './commands/reconcile.js';
import { sendOrSync } from './commands/sendResources.js';
import { sql } from './commands/sql.js';
import { status } from './commands/status.js';
import { subscriptions } from './commands/subscriptions.js';
import { token } from './commands/token.js';
import { USAGE, UsageError } from './usage.js';

export { processIo, type CliIo } from './cliIo.js';

/** Every command, and whether it needs the queue URLs (discovered from local mode when not given). */
const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly needsQueues?: boolean }>> = {
  status: { run: status, needsQueues: true },
  dlq: { run: dlq, needsQueues: true },
  delivery: { run: delivery, needsQueues: true },
  subscriptions: { run: subscriptions },
  backfill: { run: backfill },
  reconcile: { run: reconcile },
  token: { run: token },
  ledger: { run: ledger },
  local: { run: local },
  send: { run: (context) => sendOrSync('send', context) },
  sync: { run: (context) => sendOrSync('sync', context) },
  sql: { run: sql },
};

/**
 * Runs one CLI invocation and returns its exit code (0 ok, 1 failure, 2 usage).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err((error as Error).message);
    io.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    io.out(USAGE);
    return command || values.help ? 0 : 2;
  }
  try {
    const entry = COMMANDS[command];
    if (!entry) throw new UsageError(`unknown command "${command}"`);
    const config = await resolveCliConfig(values, io.env, { discover: entry.needsQueues === true });
    const api = () => apiClientFor(config);
    return await entry.run({ sub, rest, values, config, io, json: values.json === true, api });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      io.err(USAGE);
      return 2;
    }
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
};
