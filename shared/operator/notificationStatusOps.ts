import { SOURCE_SUBSCRIPTION_COUNT_NAMES } from '../notifications/types.js';
import type { FhirApiClient } from './FhirApiClient.js';

/** What `GET [base]/$notification-status` says of one source Subscription (hlc status prints it). */
export interface NotificationSourceStatus {
  readonly subscription: string;
  readonly status?: string;
  readonly lastEventNumber?: number;
  readonly lastEventAt?: string;
  readonly lastNotificationAt?: string;
  readonly lastHeartbeatAt?: string;
  readonly heartbeatOverdue?: boolean;
  readonly pendingEvents?: number;
  readonly gapsFound?: number;
  readonly eventsMissed?: number;
  readonly gapsRepaired?: number;
  readonly heartbeatsMissed?: number;
  readonly errorStatuses?: number;
  readonly counterResets?: number;
}

const COUNTS = ['lastEventNumber', 'pendingEvents', ...SOURCE_SUBSCRIPTION_COUNT_NAMES] as const;
const INSTANTS = ['lastEventAt', 'lastNotificationAt', 'lastHeartbeatAt'] as const;

type Part = { name?: unknown; [value: string]: unknown };

/** One `source` parameter, keeping only the fields of the expected type (the body is not trusted). */
const sourceOf = (parts: readonly Part[]): NotificationSourceStatus | undefined => {
  const value = (name: string, key: string): unknown => parts.find((part) => part.name === name)?.[key];
  const subscription = value('subscription', 'valueString');
  if (typeof subscription !== 'string') return undefined;
  const fields: Record<string, unknown> = { subscription };
  const status = value('status', 'valueCode');
  if (typeof status === 'string') fields.status = status;
  for (const name of COUNTS) {
    const count = value(name, 'valueUnsignedInt');
    if (Number.isSafeInteger(count) && (count as number) >= 0) fields[name] = count;
  }
  for (const name of INSTANTS) {
    const instant = value(name, 'valueInstant');
    if (typeof instant === 'string' && !Number.isNaN(Date.parse(instant))) fields[name] = instant;
  }
  const overdue = value('heartbeatOverdue', 'valueBoolean');
  if (typeof overdue === 'boolean') fields.heartbeatOverdue = overdue;
  return fields as unknown as NotificationSourceStatus;
};

/**
 * `GET [base]/$notification-status` (admin scope): what the connector knows of each source
 * Subscription it follows. Throws with the HTTP status when the API refuses.
 *
 * @example
 * const sources = await readNotificationStatus(apiClientFor(config));
 */
export const readNotificationStatus = async (client: FhirApiClient): Promise<NotificationSourceStatus[]> => {
  const response = await client.request('GET', '$notification-status');
  if (response.status !== 200) throw new Error(`$notification-status answered HTTP ${response.status}`);
  const body = response.body as { resourceType?: unknown; parameter?: unknown } | undefined;
  if (body?.resourceType !== 'Parameters' || !Array.isArray(body.parameter)) {
    throw new Error('$notification-status did not answer a Parameters resource');
  }
  return (body.parameter as { name?: unknown; part?: unknown }[]).flatMap((parameter) =>
    parameter.name === 'source' && Array.isArray(parameter.part)
      ? (sourceOf(parameter.part as Part[]) ?? [])
      : [],
  );
};

const or = (value: string | number | undefined, none = 'none'): string =>
  value === undefined ? none : String(value);

/**
 * One line per source Subscription: its status, last event, last notification and heartbeat, and
 * the gaps found and repaired (a gap not yet repaired means a catch-up is still running or failed).
 */
export const notificationStatusLines = (sources: readonly NotificationSourceStatus[]): string[] =>
  sources.length === 0
    ? ['notification sources: none followed (notifications.sources)']
    : sources.map(
        (source) =>
          `source Subscription ${source.subscription}: ${or(source.status, 'no status yet')}, ` +
          `last event ${or(source.lastEventNumber)} (${or(source.lastEventAt, 'never')}), ` +
          `last notification ${or(source.lastNotificationAt, 'never')}, ` +
          `last heartbeat ${or(source.lastHeartbeatAt, 'never')}${source.heartbeatOverdue ? ' (OVERDUE)' : ''}, ` +
          `gaps found ${source.gapsFound ?? 0} (${source.eventsMissed ?? 0} events), repaired ${source.gapsRepaired ?? 0}, ` +
          `heartbeats missed ${source.heartbeatsMissed ?? 0}` +
          (source.pendingEvents ? `, ${source.pendingEvents} event(s) awaited` : ''),
      );
