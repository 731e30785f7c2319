import { searchUrlType } from './parseTriggerParameters.js';
import type { BackfillJob, NotificationJob, ParametersParameter, ParametersResource } from './types.js';

/** The source Subscription a notification job serves, why it runs, and from when. */
const notificationParameter = (notification: NotificationJob): ParametersParameter => ({
  name: 'notification',
  part: [
    { name: 'sourceSubscription', valueString: notification.sourceSubscriptionId },
    ...notification.reasons.map((reason) => ({ name: 'reason', valueCode: reason })),
    ...(notification.since === undefined ? [] : [{ name: 'since', valueInstant: notification.since }]),
    { name: 'gaps', valueUnsignedInt: notification.gaps },
  ],
});

/**
 * A job's status as a `Parameters` resource: `jobId`, `subscription` (or, for a notification job,
 * `notification`: its source Subscription, reasons, since and gaps), `state`, `createdAt`,
 * `startedAt`, `endedAt`, `reason`, counts (`read`, `matched`, `enqueued`, `skipped`, `failed`, and
 * of `failed` the same-version `conflicts`), one `stream` part per searchUrl (with its resource type) /
 * resourceId batch (its position), and `failedId` (0..*, parts `resource`: `Type/id`, and `reason`:
 * `not-found`, `invalid` or `version-conflict`).
 */
export const jobStatusResource = (job: BackfillJob): ParametersResource => {
  const parameter: ParametersParameter[] = [
    { name: 'jobId', valueString: job.jobId },
    ...(job.subscriptionId === undefined
      ? []
      : [{ name: 'subscription', valueReference: { reference: `Subscription/${job.subscriptionId}` } }]),
    ...(job.notification === undefined ? [] : [notificationParameter(job.notification)]),
    { name: 'state', valueCode: job.state },
    { name: 'createdAt', valueInstant: job.createdAt },
  ];
  if (job.startedAt) parameter.push({ name: 'startedAt', valueInstant: job.startedAt });
  if (job.endedAt) parameter.push({ name: 'endedAt', valueInstant: job.endedAt });
  if (job.reason) parameter.push({ name: 'reason', valueString: job.reason });
  parameter.push(
    { name: 'read', valueUnsignedInt: job.counts.read },
    { name: 'matched', valueUnsignedInt: job.counts.matched },
    { name: 'enqueued', valueUnsignedInt: job.counts.enqueued },
    { name: 'skipped', valueUnsignedInt: job.counts.skipped },
    { name: 'failed', valueUnsignedInt: job.counts.failed },
    { name: 'conflicts', valueUnsignedInt: job.counts.conflicts },
    { name: 'streamsDone', valueUnsignedInt: job.streamsDone },
    { name: 'streamCount', valueUnsignedInt: job.streams.length },
  );
  job.streams.forEach((stream, index) => {
    const part: ParametersParameter[] = [
      { name: 'index', valueUnsignedInt: index },
      { name: 'kind', valueCode: stream.kind },
    ];
    if (stream.searchUrl !== undefined) {
      // The type lets a backfill of everything be followed type by type.
      part.push({ name: 'resourceType', valueCode: searchUrlType(stream.searchUrl) });
      part.push({ name: 'searchUrl', valueString: stream.searchUrl });
    }
    if (stream.idCount !== undefined) part.push({ name: 'idCount', valueUnsignedInt: stream.idCount });
    part.push(
      { name: 'pagesCompleted', valueUnsignedInt: stream.page + 1 },
      { name: 'read', valueUnsignedInt: stream.read ?? 0 },
      { name: 'enqueued', valueUnsignedInt: stream.enqueued ?? 0 },
      { name: 'done', valueBoolean: stream.done },
    );
    parameter.push({ name: 'stream', part });
  });
  for (const failed of job.failedIds) {
    parameter.push({
      name: 'failedId',
      part: [
        { name: 'resource', valueString: failed.key },
        ...(failed.reason ? [{ name: 'reason', valueCode: failed.reason }] : []),
      ],
    });
  }
  return { resourceType: 'Parameters', parameter };
};
