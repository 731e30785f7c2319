import type { Outcome, ParametersParameter, ParametersResource, ReconcileJob, Tally } from './types.js';
import { OUTCOMES, emptyTally } from './types.js';

const tallyParts = (tally: Tally): ParametersParameter[] =>
  OUTCOMES.map((outcome: Outcome) => ({ name: outcome, valueUnsignedInt: tally[outcome] }));

/** Sum of every type's tally. */
export const totalTally = (job: Pick<ReconcileJob, 'counts'>): Tally => {
  const total = emptyTally();
  for (const tally of Object.values(job.counts))
    for (const outcome of OUTCOMES) total[outcome] += tally[outcome];
  return total;
};

/**
 * A reconcile job's report as a `Parameters` resource: `jobId`, `subscription`, `mode`, `state`,
 * times, `reason`, `streamsDone`/`streamCount`, `total` (one part per outcome of OUTCOMES: inSync,
 * missing, stale, onlyInHealthLake, pinned, repaired, pinnedReset, pruned, invalidAtSource,
 * versionConflict, unconfirmed, outOfScope), one `type` part per resource type
 * (`resourceType` + the same counts), `sample` (0..*, `outcome` + `resource` reference; ids only,
 * never content) and `idLists` (where the full NDJSON id lists are).
 */
export const reconcileStatusResource = (job: ReconcileJob): ParametersResource => {
  const parameter: ParametersParameter[] = [
    { name: 'jobId', valueString: job.jobId },
    { name: 'subscription', valueReference: { reference: `Subscription/${job.subscriptionId}` } },
    { name: 'mode', valueCode: job.mode },
    { name: 'contentHash', valueBoolean: job.contentHash },
    { name: 'state', valueCode: job.state },
    { name: 'createdAt', valueInstant: job.createdAt },
  ];
  if (job.startedAt) parameter.push({ name: 'startedAt', valueInstant: job.startedAt });
  if (job.endedAt) parameter.push({ name: 'endedAt', valueInstant: job.endedAt });
  if (job.reason) parameter.push({ name: 'reason', valueString: job.reason });
  if (job.pruneConfirmation !== undefined)
    parameter.push({ name: 'pruneConfirmation', valueUnsignedInt: job.pruneConfirmation });
  if (job.compareJobId) parameter.push({ name: 'compareJob', valueString: job.compareJobId });
  parameter.push(
    { name: 'streamsDone', valueUnsignedInt: job.streamsDone },
    { name: 'streamCount', valueUnsignedInt: job.streams.length },
    { name: 'total', part: tallyParts(totalTally(job)) },
  );
  for (const [resourceType, tally] of Object.entries(job.counts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    parameter.push({
      name: 'type',
      part: [{ name: 'resourceType', valueCode: resourceType }, ...tallyParts(tally)],
    });
  }
  for (const sample of job.samples) {
    const [outcome, reference] = sample.split(' ') as [string, string];
    parameter.push({
      name: 'sample',
      part: [
        { name: 'outcome', valueCode: outcome },
        { name: 'resource', valueReference: { reference } },
      ],
    });
  }
  if (job.idLists) parameter.push({ name: 'idLists', valueUrl: job.idLists });
  return { resourceType: 'Parameters', parameter };
};
