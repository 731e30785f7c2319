import { isFhirId, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';
import { parseJson } from '../fhir/parseJson.js';
import { MAX_NOTIFICATION_SOURCES } from './constants.js';
import type { NotificationSource } from './types.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const KEYS = new Set(['subscription', 'resourceTypes', 'heartbeatPeriodSeconds', 'events']);

/** One source, or the problems with it (named by position, never quoting a value). */
const parseSource = (
  value: unknown,
  where: string,
  isResourceType: (name: string) => boolean,
  problems: string[],
): NotificationSource | undefined => {
  if (!isObject(value)) {
    problems.push(`${where} must be an object`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(value)) if (!KEYS.has(key)) problems.push(`${where} has an unknown key`);
  const { subscription, resourceTypes = [], heartbeatPeriodSeconds, events = false } = value;
  if (!isFhirId(subscription)) problems.push(`${where}.subscription must be a FHIR id`);
  if (
    !Array.isArray(resourceTypes) ||
    !resourceTypes.every(
      (type) => typeof type === 'string' && RESOURCE_TYPE_PATTERN.test(type) && isResourceType(type),
    )
  ) {
    problems.push(`${where}.resourceTypes must list R4 resource types`);
  }
  if (
    heartbeatPeriodSeconds !== undefined &&
    (!Number.isInteger(heartbeatPeriodSeconds) ||
      (heartbeatPeriodSeconds as number) < 1 ||
      (heartbeatPeriodSeconds as number) > 86_400)
  ) {
    problems.push(`${where}.heartbeatPeriodSeconds must be an integer in [1, 86400]`);
  }
  if (typeof events !== 'boolean') problems.push(`${where}.events must be true or false`);
  if (problems.length > before) return undefined;
  return {
    subscription: subscription as string,
    resourceTypes: [...new Set(resourceTypes as string[])],
    ...(heartbeatPeriodSeconds === undefined
      ? {}
      : { heartbeatPeriodSeconds: heartbeatPeriodSeconds as number }),
    events: events as boolean,
  };
};

/**
 * The source Subscriptions the connector follows, from their JSON list (`NOTIFICATION_SOURCES`):
 * `[{ "subscription": "admissions", "resourceTypes": ["Encounter"], "heartbeatPeriodSeconds": 60,
 * "events": false }]`. Unset or empty: none (the notification endpoint refuses every notification).
 * Throws an Error naming every problem at once.
 *
 * @example
 * const sources = parseNotificationSources(process.env.NOTIFICATION_SOURCES, isKnownResourceType);
 */
export const parseNotificationSources = (
  raw: string | undefined,
  isResourceType: (name: string) => boolean,
): ReadonlyMap<string, NotificationSource> => {
  if (raw === undefined || raw.trim() === '') return new Map();
  const value = parseJson(raw, 'the notification source list');
  if (!Array.isArray(value)) throw new Error('must be a JSON array of source Subscriptions');
  if (value.length > MAX_NOTIFICATION_SOURCES) {
    throw new Error(`must list at most ${MAX_NOTIFICATION_SOURCES} source Subscriptions`);
  }
  const problems: string[] = [];
  const sources = new Map<string, NotificationSource>();
  value.forEach((item, index) => {
    const source = parseSource(item, `[${index}]`, isResourceType, problems);
    if (!source) return;
    if (sources.has(source.subscription)) problems.push(`[${index}].subscription is listed twice`);
    sources.set(source.subscription, source);
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return sources;
};
