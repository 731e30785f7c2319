import type { ParametersParameter, ParametersResource } from '../backfill/types.js';
import { heartbeatDeadline, isHeartbeatOverdue } from '../notifications/decideHeartbeatCheck.js';
import { rangeSize } from '../notifications/eventRanges.js';
import type { SourceSubscriptionState } from '../notifications/types.js';

const instant = (name: string, value: string | undefined): ParametersParameter[] =>
  value === undefined ? [] : [{ name, valueInstant: value }];
const count = (name: string, value: number | undefined): ParametersParameter[] =>
  value === undefined ? [] : [{ name, valueUnsignedInt: value }];

/**
 * What the connector knows of each source Subscription, as `Parameters` (`hlc status` prints it): one
 * `source` part each with its status, last event number and time, last notification and heartbeat,
 * the heartbeat deadline and whether it passed, and the gaps found and repaired. No resource content.
 */
export const notificationStatusResource = (
  states: readonly SourceSubscriptionState[],
  now: string,
  toleranceSeconds?: number,
): ParametersResource => ({
  resourceType: 'Parameters',
  parameter: states.map((state) => ({
    name: 'source',
    part: [
      { name: 'subscription', valueString: state.subscriptionId },
      ...(state.status === undefined ? [] : [{ name: 'status', valueCode: state.status }]),
      ...count('lastEventNumber', state.lastEventNumber),
      ...instant('lastEventAt', state.lastEventAt),
      ...instant('lastNotificationAt', state.lastNotificationAt),
      ...instant('lastHeartbeatAt', state.lastHeartbeatAt),
      ...count('heartbeatPeriodSeconds', state.heartbeatPeriodSeconds),
      ...instant('heartbeatDeadline', heartbeatDeadline(state, toleranceSeconds)),
      { name: 'heartbeatOverdue', valueBoolean: isHeartbeatOverdue(state, now, toleranceSeconds) },
      ...instant('caughtUpAt', state.caughtUpAt),
      ...count('pendingEvents', rangeSize(state.pendingGaps ?? [])),
      ...count('gapsFound', state.counts.gapsFound),
      ...count('eventsMissed', state.counts.eventsMissed),
      ...count('gapsRepaired', state.counts.gapsRepaired),
      ...count('heartbeatsMissed', state.counts.heartbeatsMissed),
      ...count('errorStatuses', state.counts.errorStatuses),
      ...count('counterResets', state.counts.counterResets),
    ],
  })),
});
