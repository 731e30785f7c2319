import {
  cancelBackfillJob,
  getBackfillJob,
  startBackfill,
  type JobView,
} from '../../shared/operator/backfillOps.js';
import { fail, watchJob, type Command, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';

const jobLine = (job: JobView): string => {
  const counts = `read ${job.read}  matched ${job.matched}  enqueued ${job.enqueued}  skipped ${job.skipped}  not-found ${job.failed}`;
  const streams = job.streams ? `  streams ${job.streamsDone ?? 0}/${job.streams}` : '';
  return `${job.jobId}  ${job.state}  ${counts}${streams}${job.reason ? `  reason: ${job.reason}` : ''}`;
};

const watch = (context: CommandContext, jobRef: string): Promise<number> => {
  let last: JobView | undefined;
  return watchJob(
    context,
    async () => {
      const { response, job } = await getBackfillJob(context.api(), jobRef);
      if (!job) return fail(context.io, response.status, response.body);
      last = job;
      const fraction = job.streams ? (job.streamsDone ?? 0) / job.streams : job.final ? 1 : 0;
      return { jobId: job.jobId, state: job.state, final: job.final, fraction, line: jobLine(job) };
    },
    (job) => {
      context.io.out(context.json ? JSON.stringify(last, null, 2) : job.line);
      return job.state === 'completed' ? 0 : 1;
    },
  );
};

/** `hlc backfill start|watch|cancel`. */
export const backfill: Command = async (context) => {
  const { sub, rest, values, io, json } = context;
  const target = rest[0];
  switch (sub) {
    case 'start': {
      if (!target) throw new UsageError('backfill start needs a subscription id');
      // Neither --search-url nor --resource-id: everything the Subscription covers (as the API does).
      const searchUrls = values['search-url'] ?? [];
      const resourceIds = values['resource-id'] ?? [];
      const started = await startBackfill(context.api(), target, { searchUrls, resourceIds });
      if (started.response.status >= 300) return fail(io, started.response.status, started.response.body);
      if (json && !values.watch)
        io.out(JSON.stringify({ jobId: started.jobId, location: started.location }, null, 2));
      else
        io.out(
          `backfill job ${started.jobId ?? '?'} accepted${started.location ? ` (${started.location})` : ''}`,
        );
      const ref = started.location ?? started.jobId;
      return values.watch && ref ? watch(context, ref) : 0;
    }
    case 'watch':
      if (!target) throw new UsageError('backfill watch needs a job id');
      return watch(context, target);
    case 'cancel': {
      if (!target) throw new UsageError('backfill cancel needs a job id');
      const response = await cancelBackfillJob(context.api(), target);
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
