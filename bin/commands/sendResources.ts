import { sendResources } from '../../shared/operator/sendResources.js';
import { syncResources } from '../../shared/operator/syncResources.js';
import { bar, integer, print, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';

const list = (value: readonly string[] | undefined): string[] =>
  (value ?? []).flatMap((item) => item.split(',')).filter((item) => item !== '');

/** `hlc send <paths...>` and `hlc sync <server or paths...>`: resources to the ingest API. */
export const sendOrSync = async (command: 'send' | 'sync', context: CommandContext): Promise<number> => {
  const { sub, rest, values, io, json } = context;
  const paths = [sub, ...rest].filter((path): path is string => !!path);
  if (paths.length === 0) throw new UsageError(`${command} needs at least one file, folder or server URL`);
  let last = 0;
  const options = {
    parallel: integer(values.parallel, 'parallel', 4),
    retries: integer(values.retries, 'retries', 3),
    onProgress: (done: number, total: number) => {
      if (json) return;
      if (io.isTTY && io.progress) io.progress(`${bar(done / total)} ${done}/${total} requests`);
      else if (Date.now() - last > 5000 || done === total) {
        last = Date.now();
        io.out(`sent ${done}/${total} requests`);
      }
    },
  };
  const summary =
    command === 'send'
      ? await sendResources(context.api(), paths, options)
      : await syncResources(context.api(), paths, {
          ...options,
          resourceTypes: list(values.type),
          resourceIds: list(values['resource-id']),
          ...(values['prefix-numeric-ids'] ? { prefixNumericIds: values['prefix-numeric-ids'] } : {}),
          synthea: values.synthea === true,
        });
  if (io.isTTY && io.progress && !json) io.progress('');
  print(context, summary, () => {
    io.out(
      `sent ${summary.requests} request(s) with ${summary.resources} resource(s) in ${(summary.elapsedMs / 1000).toFixed(1)}s: ` +
        `${summary.succeeded} ok, ${summary.failed} failed  (status ${Object.entries(summary.byStatus)
          .map(([status, count]) => `${status}x${count}`)
          .join(' ')})`,
    );
    for (const failure of summary.failures.slice(0, 50)) {
      io.out(
        `  ${failure.source}: HTTP ${failure.status}${failure.diagnostics ? ` ${failure.diagnostics}` : ''}`,
      );
    }
    if (summary.failures.length > 50) io.out(`  ... ${summary.failures.length - 50} more`);
  });
  return summary.failed > 0 ? 1 : 0;
};
