import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { sendResources, type SendSummary } from '../../shared/operator/sendResources.js';
import { syncResources } from '../../shared/operator/syncResources.js';
import { syncSourceClientOptions } from '../../shared/operator/syncSourceClient.js';
import { apiClientFor } from '../cliConfig.js';
import { bar, integer, print, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';
import { syncSettings } from './syncOptions.js';

/** Prints a send or sync summary: counts by status, then the first failures (never content). */
const printSummary = (context: CommandContext, summary: SendSummary & { ignoredTypes?: number }): void => {
  const { io } = context;
  print(context, summary, () => {
    io.out(
      `sent ${summary.requests} request(s) with ${summary.resources} resource(s) in ${(summary.elapsedMs / 1000).toFixed(1)}s: ` +
        `${summary.succeeded} ok, ${summary.failed} failed  (status ${Object.entries(summary.byStatus)
          .map(([status, count]) => `${status}x${count}`)
          .join(' ')})`,
    );
    if (summary.ignoredTypes) {
      io.out(
        `  ${summary.ignoredTypes} type(s) in the source's CapabilityStatement are not R4 resource types: not searched`,
      );
    }
    for (const failure of summary.failures.slice(0, 50)) {
      io.out(
        `  ${failure.source}: ${failure.status === 0 ? 'not sent' : `HTTP ${failure.status}`}${failure.diagnostics ? ` ${failure.diagnostics}` : ''}`,
      );
    }
    if (summary.failures.length > 50) io.out(`  ... ${summary.failures.length - 50} more`);
  });
};

/**
 * ` (Patient 800, Observation 120 - now Observation)`: requests so far by resource type and the type
 * being sent (types go in order, each complete before the next). At most the last 5 types are listed.
 */
const typeCounts = (byType: ReadonlyMap<string, number>, current: string | undefined): string => {
  if (byType.size === 0) return '';
  const counts = [...byType].map(([type, count]) => `${type} ${count}`);
  const shown = counts.length > 5 ? ['...', ...counts.slice(-5)] : counts;
  return ` (${shown.join(', ')}${current === undefined ? '' : ` - now ${current}`})`;
};

/** `hlc send <paths...>` and `hlc sync <server or paths...>`: resources to the ingest API. */
export const sendOrSync = async (command: 'send' | 'sync', context: CommandContext): Promise<number> => {
  const { sub, rest, values, io, json } = context;
  const positionals = [sub, ...rest].filter((path): path is string => !!path);
  let last = 0;
  const byType = new Map<string, number>();
  // `done` counts one phase of a sync (a type, then the Bundles); `sent` the whole run.
  let sent = 0;
  const progress = {
    onProgress: (done: number, total?: number, resourceType?: string) => {
      sent += 1;
      if (json) return;
      if (resourceType !== undefined) byType.set(resourceType, (byType.get(resourceType) ?? 0) + 1);
      const types = typeCounts(byType, resourceType);
      if (io.isTTY && io.progress) {
        io.progress(
          total === undefined
            ? `${sent} requests${types}`
            : `${bar(done / total)} ${done}/${total} requests${types}`,
        );
      } else if (Date.now() - last > 5000 || done === total) {
        last = Date.now();
        io.out(`sent ${total === undefined ? sent : `${done}/${total}`} requests${types}`);
      }
    },
  };
  let summary: SendSummary & { ignoredTypes?: number };
  if (command === 'send') {
    if (positionals.length === 0) throw new UsageError('send needs at least one file or folder');
    summary = await sendResources(context.api(), positionals, {
      parallel: integer(values.parallel, 'parallel', 4),
      retries: integer(values.retries, 'retries', 3),
      ...progress,
    });
  } else {
    const settings = syncSettings(positionals, values, io.env);
    if (settings.sources.length === 0) throw new UsageError('sync needs a server URL, or files and folders');
    const api = apiClientFor(context.config, {
      ...(settings.apiUrl === undefined ? {} : { apiUrl: settings.apiUrl }),
      ...(settings.token === undefined ? {} : { token: settings.token }),
      ...(settings.requestId === undefined ? {} : { headers: { 'x-request-id': settings.requestId } }),
    });
    const fromServer = settings.sources.some((source) => /^https?:/i.test(source));
    summary = await syncResources(api, settings.sources, {
      parallel: settings.parallel ?? integer(values.parallel, 'parallel', 4),
      retries: settings.retries ?? integer(values.retries, 'retries', 3),
      resourceTypes: settings.resourceTypes,
      resourceIds: settings.resourceIds,
      ...(values['prefix-numeric-ids'] ? { prefixNumericIds: values['prefix-numeric-ids'] } : {}),
      synthea: settings.synthea,
      bundlesAsTransactions: settings.bundlesAsTransactions,
      ...(fromServer
        ? {
            sourceClient: await syncSourceClientOptions(settings.source, {
              credentials: () => fromNodeProviderChain(),
            }),
          }
        : {}),
      ...progress,
    });
  }
  if (io.isTTY && io.progress && !json) io.progress('');
  printSummary(context, summary);
  return summary.failed > 0 ? 1 : 0;
};
