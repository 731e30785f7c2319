import { intVar, listVar, type EnvValues, type EnvVar } from '../config/envVar.js';
import { isKnownResourceType } from '../ingest/validateFhirResource.js';
import { NOTIFICATION_ENV } from '../notificationIntake/constants.js';
import { parseNotificationSources } from '../notificationIntake/parseNotificationSources.js';
import type { NotificationSource } from '../notificationIntake/types.js';
import { NOTIFICATION_DEFAULTS } from '../notifications/constants.js';
import { normalizeOrigins } from '../notifications/parseResourceReference.js';

/** The source Subscriptions followed (JSON list; unset = none, the notification endpoint refuses all). */
const sourcesVar: EnvVar<ReadonlyMap<string, NotificationSource>> = {
  name: NOTIFICATION_ENV.sources,
  origin: 'stack',
  doc: 'JSON list of the source Subscriptions whose backport notifications the connector receives.',
  parse: (raw) => parseNotificationSources(raw, isKnownResourceType),
};

const originsVar: EnvVar<ReadonlySet<string>> = {
  name: NOTIFICATION_ENV.allowedOrigins,
  origin: 'stack',
  doc: 'Comma-separated origins absolute URLs in notifications may point at (the source server).',
  parse: (raw) => {
    const list = listVar(NOTIFICATION_ENV.allowedOrigins, '').parse(raw);
    try {
      return normalizeOrigins(list);
    } catch {
      throw new Error('must list http(s) origins');
    }
  },
};

/** Backport notifications in: what the ingest Lambda and the heartbeat check both read. */
export const NOTIFICATION_ENV_VARS = {
  notificationSources: sourcesVar,
  notificationAllowedOrigins: originsVar,
  catchUpMarginSeconds: intVar(
    NOTIFICATION_ENV.catchUpMarginSeconds,
    'Seconds a catch-up searches before the last point known good (clock skew, notifications in flight).',
    NOTIFICATION_DEFAULTS.catchUpMarginSeconds,
    { min: 0, max: 86_400 },
    'stack',
  ),
  gapGraceSeconds: intVar(
    NOTIFICATION_ENV.gapGraceSeconds,
    'Seconds a skipped event number may still arrive (overtaken, not lost) before it is a gap.',
    NOTIFICATION_DEFAULTS.gapGraceSeconds,
    { min: 0, max: 3600 },
    'stack',
  ),
  heartbeatToleranceSeconds: intVar(
    NOTIFICATION_ENV.heartbeatToleranceSeconds,
    'Seconds past the heartbeat period before a heartbeat counts as missed (unset = one period, at least 30).',
    undefined,
    { min: 0, max: 86_400 },
    'stack',
  ),
} as const;

/** Notification catch-ups and reads run as backfill jobs: following sources needs the backfill queue. */
export const notificationRules = (
  values: Partial<EnvValues<typeof NOTIFICATION_ENV_VARS>> & { backfillQueueUrl?: string | undefined },
): string[] =>
  values.notificationSources && values.notificationSources.size > 0 && !values.backfillQueueUrl
    ? [
        `${NOTIFICATION_ENV.sources} needs BACKFILL_QUEUE_URL (notification reads and catch-ups are backfill jobs)`,
      ]
    : [];
