import {
  cancelReconcileJob,
  formatReconcileReport,
  getReconcileJob,
  startReconcile,
  type ReconcileView,
} from '../../shared/operator/reconcileOps.js';
import { fail, watchJob, type Command, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';

const watch = (context: CommandContext, jobRef: string): Promise<number> => {
  let last: ReconcileView | undefined;
  return watchJob(
    context,
    async () => {
      const { response, view } = await getReconcileJob(context.api(), jobRef);
      if (!view) return fail(context.io, response.status, response.body);
      last = view;
      const line = `${view.jobId}  ${view.state}  streams ${view.streamsDone}/${view.streams}  in sync ${view.total.inSync}  missing ${view.total.missing}  stale ${view.total.stale}  only in HealthLake ${view.total.onlyInHealthLake}`;
      const fraction = view.streams ? view.streamsDone / view.streams : 0;
      return { jobId: view.jobId, state: view.state, final: view.final, fraction, line };
    },
    (job) => {
      if (context.json) context.io.out(JSON.stringify(last, null, 2));
      else for (const line of formatReconcileReport(last as ReconcileView)) context.io.out(line);
      return job.state === 'completed' ? 0 : 1;
    },
  );
};

/** `hlc reconcile start|watch|report|cancel`. */
export const reconcile: Command = async (context) => {
  const { sub, rest, values, io, json } = context;
  const client = context.api();
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
      return values.watch && ref ? watch(context, ref) : 0;
    }
    case 'watch':
      if (!target) throw new UsageError('reconcile watch needs a job id');
      return watch(context, target);
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
