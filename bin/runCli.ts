import { parseArgs } from 'node:util';
import { FhirApiClient, outcomeDiagnostics } from '../shared/operator/FhirApiClient.js';
import { resetVersions } from '../shared/operator/ledgerOps.js';
import { describeDlqMessage } from '../shared/operator/describeDlqMessage.js';
import {
  deliveryState,
  findDeliveryMapping,
  localDelivery,
  setDeliveryEnabled,
  type DeliveryState,
} from '../shared/operator/deliverySwitch.js';
import { deployedMetrics } from '../shared/operator/deployedMetrics.js';
import { fetchLocalJson, type LocalStatsView } from '../shared/operator/localAdmin.js';
import { INGEST_METRICS } from '../shared/ingest/IngestMetricsCollector.js';
import { peekMessages } from '../shared/operator/peekMessages.js';
import { queueStatus } from '../shared/operator/queueStatus.js';
import { redriveDlq } from '../shared/operator/redriveDlq.js';
import { newToken } from '../shared/operator/newToken.js';
import { sendResources } from '../shared/operator/sendResources.js';
import { syncResources } from '../shared/operator/syncResources.js';
import {
  createSubscription,
  deleteSubscription,
  formatSubscription,
  getSubscription,
  listSubscriptions,
  subscriptionsOf,
} from '../shared/operator/subscriptionOps.js';
import {
  cancelBackfillJob,
  getBackfillJob,
  startBackfill,
  type JobView,
} from '../shared/operator/backfillOps.js';
import {
  GLOBAL_OPTIONS,
  lambdaClientFor,
  resolveCliConfig,
  sqsClientFor,
  type CliConfig,
} from './cliConfig.js';
import { reconcile } from './reconcileCommand.js';
import { USAGE, UsageError } from './usage.js';

/** Where the CLI writes; tests pass a capturing implementation. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current line (progress bars); only called when `isTTY`. */
  progress?(line: string): void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (line) => process.stdout.write(`\r\x1b[2K${line}`),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  'show-content': { type: 'boolean' },
  max: { type: 'string' },
  method: { type: 'string' },
  'no-wait': { type: 'boolean' },
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
  mode: { type: 'string' },
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
} as const;

export const integer = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer`);
  return parsed;
};

const needQueue = (url: string | undefined, what: string, flag: string, env: string): string => {
  if (!url) {
    throw new UsageError(
      `No ${what} URL: pass --${flag}, set ${env} (a stack output when deployed), or start local mode (npm start) and set HLC_TOKEN to its development token.`,
    );
  }
  return url;
};

const age = (seconds: number | undefined): string => {
  if (seconds === undefined) return 'n/a';
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
};

export const bar = (fraction: number, width = 24): string => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

const jobLine = (job: JobView): string => {
  const counts = `read ${job.read}  matched ${job.matched}  enqueued ${job.enqueued}  skipped ${job.skipped}  not-found ${job.failed}`;
  const streams = job.streams ? `  streams ${job.streamsDone ?? 0}/${job.streams}` : '';
  return `${job.jobId}  ${job.state}  ${counts}${streams}${job.reason ? `  reason: ${job.reason}` : ''}`;
};

const failLine = (status: number, body: unknown): string =>
  `HTTP ${status}${outcomeDiagnostics(body) ? `: ${outcomeDiagnostics(body)}` : ''}`;

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
  const json = values.json === true;
  const print = (value: unknown, human: () => void) =>
    json ? io.out(JSON.stringify(value, null, 2)) : human();
  const needsQueues = command === 'status' || command === 'dlq' || command === 'delivery';
  try {
    const config = await resolveCliConfig(values, io.env, { discover: needsQueues });
    const api = () =>
      new FhirApiClient({ baseUrl: config.apiUrl, ...(config.token ? { token: config.token } : {}) });
    switch (command) {
      case 'status':
        return await status(config, io, json);
      case 'dlq': {
        const sqs = sqsClientFor(config);
        try {
          const dlqUrl = needQueue(config.dlqUrl, 'DLQ', 'dlq-url', 'HLC_DLQ_URL');
          if (sub === 'list') {
            const messages = await peekMessages(sqs, dlqUrl, { max: integer(values.max, 'max', 100) });
            const entries = messages.map((message) =>
              describeDlqMessage(message, { showContent: values['show-content'] === true }),
            );
            print(entries, () => {
              io.out(`${entries.length} message(s) in the DLQ`);
              for (const entry of entries) {
                io.out(
                  `${entry.messageId}  ${entry.sentAt ?? ''}  ${entry.operation ?? '?'} ${entry.resource ?? '?'}` +
                    `${entry.versionId ? ` v${entry.versionId}` : ''}  subscription ${entry.subscriptionId ?? '?'}` +
                    `  receives ${entry.receiveCount ?? '?'}\n    cause: ${entry.cause}`,
                );
                if (entry.content !== undefined) io.out(`    content: ${JSON.stringify(entry.content)}`);
              }
            });
            return 0;
          }
          if (sub === 'redrive') {
            const method = values.method ?? 'auto';
            if (method !== 'auto' && method !== 'move-task' && method !== 'copy') {
              throw new UsageError('--method must be auto, move-task or copy');
            }
            const result = await redriveDlq(sqs, {
              dlqUrl,
              sourceQueueUrl: needQueue(
                config.deliveryQueueUrl,
                'delivery queue',
                'delivery-queue-url',
                'HLC_DELIVERY_QUEUE_URL',
              ),
              method,
              wait: values['no-wait'] !== true,
              ...(values.max ? { max: integer(values.max, 'max', 1) } : {}),
            });
            print(result, () => {
              io.out(
                `redrive (${result.method}${result.taskHandle ? ` task ${result.taskHandle}` : ''}): moved ${result.moved}, failed ${result.failed}`,
              );
              for (const failure of result.failures) io.out(`  ${failure}`);
            });
            return result.failed > 0 ? 1 : 0;
          }
          throw new UsageError('dlq needs a subcommand: list | redrive');
        } finally {
          sqs.destroy();
        }
      }
      case 'delivery': {
        if (sub !== 'pause' && sub !== 'resume' && sub !== 'status') {
          throw new UsageError('delivery needs a subcommand: pause | resume | status');
        }
        const result = await switchDelivery(config, sub === 'status' ? 'state' : sub);
        print(result, () => {
          io.out(`delivery ${deliveryLine(result)}`);
          if (sub === 'pause') {
            io.out(
              'writes are still accepted and wait in the delivery queue; resume with: hlc delivery resume',
            );
          }
        });
        return 0;
      }
      case 'subscriptions':
        return await subscriptions(api(), sub, rest, values, io, json);
      case 'backfill':
        return await backfill(api(), sub, rest, values, io, json);
      case 'reconcile':
        return await reconcile(api(), sub, rest, values, io, json);
      case 'token': {
        if (sub !== 'create') throw new UsageError('token needs a subcommand: create');
        const scope = values.scope ?? 'write';
        if (scope !== 'write' && scope !== 'admin') throw new UsageError('--scope must be write or admin');
        if (!values.name) throw new UsageError('token create needs --name (it names the token in logs)');
        let created;
        try {
          created = newToken(values.name, scope);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        print(created, () => {
          io.out(
            `token (give it to the ${scope === 'admin' ? 'operator' : 'producer'}; it is not shown again):`,
          );
          io.out(`  ${created.token}`);
          io.out('entry for the "tokens" list of the token secret (holds only the hash):');
          io.out(`  ${JSON.stringify(created.entry)}`);
        });
        return 0;
      }
      case 'ledger': {
        const target = rest[0];
        if (sub !== 'reset' || !target || rest.length > 1) {
          throw new UsageError('ledger needs: reset <Type> | reset <Type>/<id>');
        }
        const response = await resetVersions(api(), target);
        if (response.status !== 200) return fail(io, response.status, response.body);
        print(response.body, () => io.out(outcomeDiagnostics(response.body) ?? `reset ${target}`));
        return 0;
      }
      case 'send':
      case 'sync': {
        const paths = [sub, ...rest].filter((path): path is string => !!path);
        if (paths.length === 0)
          throw new UsageError(`${command} needs at least one file, folder or server URL`);
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
        const list = (value: readonly string[] | undefined) =>
          (value ?? []).flatMap((item) => item.split(',')).filter((item) => item !== '');
        const summary =
          command === 'send'
            ? await sendResources(api(), paths, options)
            : await syncResources(api(), paths, {
                ...options,
                resourceTypes: list(values.type),
                resourceIds: list(values['resource-id']),
                ...(values['prefix-numeric-ids'] ? { prefixNumericIds: values['prefix-numeric-ids'] } : {}),
                synthea: values.synthea === true,
              });
        if (io.isTTY && io.progress && !json) io.progress('');
        print(summary, () => {
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
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
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

/** Local mode (discovered, no mapping named) switches its poller; otherwise Lambda's event source mapping. */
const switchDelivery = async (
  config: CliConfig,
  action: 'state' | 'pause' | 'resume',
): Promise<DeliveryState> => {
  if (config.local && !config.deliveryMappingId && !config.delivererFunction) {
    return localDelivery(config.localUrl, action, config.token);
  }
  const lambda = lambdaClientFor(config);
  try {
    const mappingId = await findDeliveryMapping(lambda, {
      ...(config.deliveryMappingId ? { mappingId: config.deliveryMappingId } : {}),
      ...(config.delivererFunction ? { functionName: config.delivererFunction } : {}),
      ...(config.deliveryQueueUrl ? { queueUrl: config.deliveryQueueUrl } : {}),
    });
    return action === 'state'
      ? await deliveryState(lambda, mappingId)
      : await setDeliveryEnabled(lambda, mappingId, action === 'resume');
  } finally {
    lambda.destroy();
  }
};

const DELIVERY_STATE_WORDS: Record<string, string> = {
  Enabled: 'running',
  Enabling: 'resuming',
  Disabled: 'paused',
  Disabling: 'pausing',
};

const deliveryLine = (state: DeliveryState): string =>
  `${DELIVERY_STATE_WORDS[state.state] ?? state.state} (event source mapping ${state.mappingId}: ${state.state})`;

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

const status = async (config: CliConfig, io: CliIo, json: boolean): Promise<number> => {
  const sqs = sqsClientFor(config);
  try {
    const queues = {
      delivery: config.deliveryQueueUrl,
      'delivery-dlq': config.dlqUrl,
      backfill: config.backfillQueueUrl,
      'backfill-dlq': config.backfillDlqUrl,
    };
    if (!Object.values(queues).some(Boolean)) {
      needQueue(undefined, 'delivery queue', 'delivery-queue-url', 'HLC_DELIVERY_QUEUE_URL');
    }
    const knowsDelivery = config.local || config.deliveryMappingId || config.delivererFunction;
    const [delivery, depths, stats, cloudWatch] = await Promise.all([
      knowsDelivery
        ? switchDelivery(config, 'state').catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          )
        : Promise.resolve(undefined),
      queueStatus(sqs, queues),
      config.local
        ? fetchLocalJson<LocalStatsView>(config.localUrl, 'stats', config.token)
        : Promise.resolve(undefined),
      config.local
        ? Promise.resolve(undefined)
        : deployedMetrics(
            {
              region: config.region,
              credentials: sqs.config.credentials,
              ...(config.cloudWatchEndpoint ? { endpoint: config.cloudWatchEndpoint } : {}),
            },
            { delivery: config.deliveryQueueUrl, 'delivery-dlq': config.dlqUrl },
            config.connectorId,
          ).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    ]);
    if (json) {
      const metrics = cloudWatch instanceof Error ? { error: cloudWatch.message } : cloudWatch;
      const switchState = delivery instanceof Error ? { error: delivery.message } : delivery;
      io.out(JSON.stringify({ delivery: switchState, queues: depths, stats, cloudWatch: metrics }, null, 2));
      return 0;
    }
    io.out(
      delivery === undefined
        ? 'delivery: state unknown (pass --delivery-mapping-id or --deliverer-function, stack outputs)'
        : delivery instanceof Error
          ? `delivery: state unavailable (${delivery.message})`
          : `delivery: ${deliveryLine(delivery)}`,
    );
    io.out('queue            visible  in-flight  delayed');
    for (const depth of depths) {
      io.out(
        `${depth.name.padEnd(16)} ${String(depth.visible).padStart(7)}  ${String(depth.inFlight).padStart(9)}  ${String(depth.delayed).padStart(7)}`,
      );
    }
    if (stats) {
      io.out(`oldest unfinished delivery message: ${age(stats.oldestMessageAgeSeconds)} (local poller)`);
      io.out(
        `since start (${age(stats.uptimeSeconds)}): ingested ${stats.ingested}, delivered ${stats.delivered}, ` +
          `retried ${stats.retried}, dead-lettered ${stats.deadLettered}, ingest errors ${stats.ingestErrors}`,
      );
      io.out(`delivered per minute (oldest first): ${stats.deliveredPerMinute.join(' ') || 'none yet'}`);
      io.out(unmatchedLine(stats.writesUnmatched, 'since start'));
    } else if (cloudWatch && !(cloudWatch instanceof Error)) {
      for (const [name, seconds] of Object.entries(cloudWatch.oldestMessageAgeSeconds)) {
        io.out(`oldest message in ${name}: ${age(seconds)} (CloudWatch, last 15 minutes)`);
      }
      io.out(
        cloudWatch.lastHour === undefined
          ? 'last hour (CloudWatch): set --connector-id / HLC_CONNECTOR_ID to read the delivery and unmatched-write counts'
          : `last hour (CloudWatch): ${Object.entries(cloudWatch.lastHour)
              .map(([name, count]) => `${name} ${count}`)
              .join(', ')}`,
      );
      if (cloudWatch.lastHour !== undefined) {
        io.out(
          unmatchedLine(cloudWatch.lastHour[INGEST_METRICS.writesUnmatched] ?? 0, 'last hour, CloudWatch'),
        );
      }
    } else {
      io.out(
        `oldest message age and delivery counts: not available (${cloudWatch?.message ?? 'no CloudWatch'}); see ` +
          'CloudWatch metric AWS/SQS ApproximateAgeOfOldestMessage of the delivery queue and the connector dashboard ' +
          '(namespace HealthLakeConnector).',
      );
    }
    return 0;
  } finally {
    sqs.destroy();
  }
};

/** The count of writes no Subscription matched, and what it means when it is not zero. */
const unmatchedLine = (count: number, window: string): string =>
  `writes matching no active Subscription (${window}): ${count}` +
  (count > 0 ? ' - recorded but never delivered; check the Subscriptions (hlc subscriptions list)' : '');

const subscriptions = async (
  client: FhirApiClient,
  sub: string | undefined,
  rest: readonly string[],
  values: Values,
  io: CliIo,
  json: boolean,
): Promise<number> => {
  switch (sub) {
    case 'list': {
      const response = await listSubscriptions(client);
      if (response.status !== 200) return fail(io, response.status, response.body);
      const found = subscriptionsOf(response.body);
      if (json) io.out(JSON.stringify(found, null, 2));
      else {
        io.out(`${found.length} subscription(s)`);
        for (const subscription of found) io.out(formatSubscription(subscription));
      }
      return 0;
    }
    case 'get':
    case 'delete': {
      const id = rest[0];
      if (!id) throw new UsageError(`subscriptions ${sub} needs an id`);
      const response =
        sub === 'get' ? await getSubscription(client, id) : await deleteSubscription(client, id);
      if (response.status >= 300) return fail(io, response.status, response.body);
      if (sub === 'get')
        io.out(
          json
            ? JSON.stringify(response.body, null, 2)
            : formatSubscription(response.body as Record<string, unknown>),
        );
      else io.out(`deleted Subscription/${id}`);
      return 0;
    }
    case 'create': {
      if (!values.criteria || !values.endpoint) {
        throw new UsageError('subscriptions create needs --criteria and --endpoint');
      }
      const response = await createSubscription(client, {
        criteria: values.criteria,
        endpoint: values.endpoint,
        ...(values.id ? { id: values.id } : {}),
        sendDeleteMessages: values['no-deletes'] !== true,
        deliverLatestVersion: values['no-latest-version'] !== true,
        ...(values['retry-count'] ? { deliveryRetryCount: Number(values['retry-count']) } : {}),
        ...(values['strip-version-ids'] ? { stripVersionIds: true } : {}),
        ...(values['payload-search'] ? { payloadSearchCriteria: values['payload-search'] } : {}),
      });
      if (response.status >= 300) return fail(io, response.status, response.body);
      // Defaults filled in, extensions kept but not acted on, an over-limit retry count (HTTP Warning).
      const warning = response.headers.get('warning');
      if (warning) io.err(`warnings: ${warning}`);
      io.out(
        json
          ? JSON.stringify(response.body, null, 2)
          : formatSubscription(response.body as Record<string, unknown>),
      );
      return 0;
    }
    default:
      throw new UsageError('subscriptions needs a subcommand: list | get <id> | create | delete <id>');
  }
};

export const fail = (io: CliIo, status: number, body: unknown): number => {
  io.err(failLine(status, body));
  return 1;
};

const watchJob = async (
  client: FhirApiClient,
  jobRef: string,
  values: Values,
  io: CliIo,
  json: boolean,
): Promise<number> => {
  const interval = integer(values.interval, 'interval', 2) * 1000;
  const deadline = values.timeout ? Date.now() + integer(values.timeout, 'timeout', 1) * 1000 : Infinity;
  let lastLine = 0;
  for (;;) {
    const { response, job } = await getBackfillJob(client, jobRef);
    if (!job) return fail(io, response.status, response.body);
    if (json) {
      if (job.final) io.out(JSON.stringify(job, null, 2));
    } else if (io.isTTY && io.progress) {
      const fraction = job.streams ? (job.streamsDone ?? 0) / job.streams : job.final ? 1 : 0;
      io.progress(`${bar(fraction)} ${jobLine(job)}`);
      if (job.final) io.out('');
    } else if (job.final || Date.now() - lastLine >= 10_000) {
      lastLine = Date.now();
      io.out(jobLine(job));
    }
    if (job.final) return job.state === 'completed' ? 0 : 1;
    if (Date.now() > deadline) {
      io.err(`job ${job.jobId} still ${job.state} at the --timeout`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
};

const backfill = async (
  client: FhirApiClient,
  sub: string | undefined,
  rest: readonly string[],
  values: Values,
  io: CliIo,
  json: boolean,
): Promise<number> => {
  const target = rest[0];
  switch (sub) {
    case 'start': {
      if (!target) throw new UsageError('backfill start needs a subscription id');
      const searchUrls = values['search-url'] ?? [];
      const resourceIds = values['resource-id'] ?? [];
      if (searchUrls.length === 0 && resourceIds.length === 0) {
        throw new UsageError('backfill start needs --search-url and/or --resource-id');
      }
      const started = await startBackfill(client, target, { searchUrls, resourceIds });
      if (started.response.status >= 300) return fail(io, started.response.status, started.response.body);
      if (json && !values.watch)
        io.out(JSON.stringify({ jobId: started.jobId, location: started.location }, null, 2));
      else
        io.out(
          `backfill job ${started.jobId ?? '?'} accepted${started.location ? ` (${started.location})` : ''}`,
        );
      if (values.watch && (started.location ?? started.jobId)) {
        return watchJob(client, (started.location ?? started.jobId) as string, values, io, json);
      }
      return 0;
    }
    case 'watch':
      if (!target) throw new UsageError('backfill watch needs a job id');
      return watchJob(client, target, values, io, json);
    case 'cancel': {
      if (!target) throw new UsageError('backfill cancel needs a job id');
      const response = await cancelBackfillJob(client, target);
      if (response.status >= 300) return fail(io, response.status, response.body);
      io.out(`cancel requested for job ${target} (HTTP ${response.status})`);
      return 0;
    }
    default:
      throw new UsageError(
        'backfill needs a subcommand: start <subscriptionId> | watch <jobId> | cancel <jobId>',
      );
  }
};
