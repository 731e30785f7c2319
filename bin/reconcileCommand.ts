import type { FhirApiClient } from '../shared/operator/FhirApiClient.js';
import {
  cancelReconcileJob,
  formatReconcileReport,
  getReconcileJob,
  startReconcile,
} from '../shared/operator/reconcileOps.js';
import type { CliIo, Values } from './runCli.js';
import { bar, fail, integer } from './runCli.js';
import { UsageError } from './usage.js';

const watch = async (client: FhirApiClient, jobRef: string, values: Values, io: CliIo, json: boolean) => {
  const interval = integer(values.interval, 'interval', 2) * 1000;
  const deadline = values.timeout ? Date.now() + integer(values.timeout, 'timeout', 1) * 1000 : Infinity;
  let lastLine = 0;
  for (;;) {
    const { response, view } = await getReconcileJob(client, jobRef);
    if (!view) return fail(io, response.status, response.body);
    const progress = `${view.jobId}  ${view.state}  streams ${view.streamsDone}/${view.streams}  in sync ${view.total.inSync}  missing ${view.total.missing}  stale ${view.total.stale}  only in HealthLake ${view.total.onlyInHealthLake}`;
    if (view.final) {
      if (io.isTTY && io.progress) io.out('');
      if (json) io.out(JSON.stringify(view, null, 2));
      else for (const line of formatReconcileReport(view)) io.out(line);
      return view.state === 'completed' ? 0 : 1;
    }
    if (!json && io.isTTY && io.progress) {
      io.progress(`${bar(view.streams ? view.streamsDone / view.streams : 0)} ${progress}`);
    } else if (!json && Date.now() - lastLine >= 10_000) {
      lastLine = Date.now();
      io.out(progress);
    }
    if (Date.now() > deadline) {
      io.err(`job ${view.jobId} still ${view.state} at the --timeout`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
};

/** `hlc reconcile start|watch|report|cancel`. */
export const reconcile = async (
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
      if (!target) throw new UsageError('reconcile start needs a subscription id');
      const confirm = values['confirm-prune'];
      if (confirm !== undefined && !/^\d+$/.test(confirm))
        throw new UsageError('--confirm-prune must be the only-in-HealthLake count of a compare');
      const started = await startReconcile(client, {
        subscriptionId: target,
        ...(values.mode ? { mode: values.mode } : {}),
        resourceTypes: values.type ?? [],
        resourceIds: values['resource-id'] ?? [],
        searchUrls: values['search-url'] ?? [],
        ...(values.since ? { since: values.since } : {}),
        ...(values.until ? { until: values.until } : {}),
        ...(values['content-hash'] ? { contentHash: true } : {}),
        ...(confirm === undefined ? {} : { pruneConfirmation: Number(confirm) }),
        ...(values['compare-job'] ? { compareJobId: values['compare-job'] } : {}),
      });
      if (started.response.status >= 300) return fail(io, started.response.status, started.response.body);
      if (json && !values.watch)
        io.out(JSON.stringify({ jobId: started.jobId, location: started.location }, null, 2));
      else if (!json)
        io.out(
          `reconcile job ${started.jobId ?? '?'} accepted${started.location ? ` (${started.location})` : ''}`,
        );
      const ref = started.location ?? started.jobId;
      return values.watch && ref ? watch(client, ref, values, io, json) : 0;
    }
    case 'watch':
      if (!target) throw new UsageError('reconcile watch needs a job id');
      return watch(client, target, values, io, json);
    case 'report': {
      if (!target) throw new UsageError('reconcile report needs a job id');
      const { response, view } = await getReconcileJob(client, target);
      if (!view) return fail(io, response.status, response.body);
      if (json) io.out(JSON.stringify(view, null, 2));
      else for (const line of formatReconcileReport(view)) io.out(line);
      return 0;
    }
    case 'cancel': {
      if (!target) throw new UsageError('reconcile cancel needs a job id');
      const response = await cancelReconcileJob(client, target);
      if (response.status >= 300) return fail(io, response.status, response.body);
      io.out(`reconcile job ${target} cancelled`);
      return 0;
    }
    default:
      throw new UsageError(
        'reconcile needs a subcommand: start <subscriptionId> | watch <jobId> | report <jobId> | cancel <jobId>',
      );
  }
};
