import {
  BACKPORT_STATUS_PROFILE,
  NOTIFICATION_LIMITS,
  NOTIFICATION_TYPES,
  SUBSCRIPTION_STATUSES,
} from './constants.js';
import { heartbeatPeriodOf } from './heartbeatPeriodOf.js';
import { at, eachNamed, isObject, type Problems, readCounter, readValue } from './parameterValues.js';
import { parseEvent, type RawEvent } from './parseEvent.js';
import { parseResourceReference, type ReferenceRules } from './parseResourceReference.js';
import type { BackportNotification, NotificationType, SubscriptionStatusCode } from './types.js';

/** The status part of a notification: everything the `Parameters` (first entry) says. */
export type SubscriptionStatusInfo = Omit<
  BackportNotification,
  'events' | 'entries' | 'payload' | 'sentAt'
> & {
  /** As written: `urn:` focus targets still name Bundle entries. */
  readonly events: readonly RawEvent[];
};

/** Parameters that occur at most once, and whether they must. */
const SINGLE: Readonly<Record<string, boolean>> = {
  subscription: true,
  topic: false,
  status: true,
  type: true,
  'events-since-subscription-start': false,
  'heartbeat-period': false,
};

const TOPIC = new RegExp(`^[\\x21-\\x7e]{1,${NOTIFICATION_LIMITS.maxTopicLength}}$`);
/** A code or code system: printable, bounded. */
const CODE = /^[\x21-\x7e]{1,256}$/;

const codeOf = <T extends string>(
  parameter: Record<string, unknown>,
  path: string,
  what: string,
  codes: readonly T[],
  problems: Problems,
): T | undefined => {
  const found = readValue(parameter, ['valueCode'], path, what, problems);
  if (!found) return undefined;
  if (typeof found.value === 'string' && (codes as readonly string[]).includes(found.value))
    return found.value as T;
  return problems.add(`${what} must be one of ${codes.join(', ')}`, at(path, found.key));
};

const subscriptionIdOf = (
  parameter: Record<string, unknown>,
  path: string,
  rules: ReferenceRules,
  problems: Problems,
): string | undefined => {
  const found = readValue(parameter, ['valueReference'], path, 'subscription', problems);
  if (!found) return undefined;
  const where = `${path}.valueReference.reference`;
  const parsed = parseResourceReference(isObject(found.value) ? found.value['reference'] : undefined, rules);
  if (parsed.kind === 'problem' && parsed.problem === 'origin') {
    return problems.add('subscription points at an origin that is not allowed', where, 'security');
  }
  if (parsed.kind !== 'resource' || parsed.ref.resourceType !== 'Subscription') {
    return problems.add('subscription must reference a Subscription by a valid id', where);
  }
  return parsed.ref.id;
};

const topicOf = (
  parameter: Record<string, unknown>,
  path: string,
  problems: Problems,
): string | undefined => {
  const found = readValue(parameter, ['valueCanonical', 'valueUri', 'valueUrl'], path, 'topic', problems);
  if (!found) return undefined;
  return typeof found.value === 'string' && TOPIC.test(found.value)
    ? found.value
    : problems.add('topic must be a canonical URL without spaces', at(path, found.key));
};

const errorCodeOf = (
  parameter: Record<string, unknown>,
  path: string,
  problems: Problems,
): string | undefined => {
  const found = readValue(parameter, ['valueCodeableConcept'], path, 'error', problems);
  const coding =
    isObject(found?.value) && Array.isArray(found.value['coding']) ? found.value['coding'][0] : undefined;
  if (!isObject(coding)) return undefined;
  const code = coding['code'];
  const system = coding['system'];
  if (typeof code !== 'string' || !CODE.test(code)) return undefined;
  return typeof system === 'string' && CODE.test(system) ? `${system}|${code}` : code;
};

/** The heartbeat period, when a server adds the channel extension to the Parameters (not in the IG). */
const extensionPeriod = (resource: Record<string, unknown>): number | undefined =>
  heartbeatPeriodOf({ channel: resource });

const declaresProfile = (resource: Record<string, unknown>): boolean => {
  const meta = resource['meta'];
  return (
    isObject(meta) && Array.isArray(meta['profile']) && meta['profile'].includes(BACKPORT_STATUS_PROFILE)
  );
};

/**
 * Reads the backport SubscriptionStatus `Parameters` (R4): `subscription`, `topic`, `status`, `type`,
 * `events-since-subscription-start`, `error` and each `notification-event`. Strict on shape (each
 * parameter once, typed as the profile says, with the integer types servers use for counters
 * tolerated), tolerant of a missing `meta.profile`. Unknown parameters are ignored (open slicing).
 * Problems go to `problems` with their location under `path`.
 */
export const parseStatusParameters = (
  resource: Record<string, unknown>,
  path: string,
  rules: ReferenceRules,
  problems: Problems,
): SubscriptionStatusInfo | undefined => {
  const parameters = resource['parameter'];
  if (!Array.isArray(parameters) || parameters.length === 0) {
    return problems.add('The status Parameters has no parameter', `${path}.parameter`);
  }
  if (parameters.length > NOTIFICATION_LIMITS.maxParameters) {
    return problems.add(
      `The status Parameters has more than ${NOTIFICATION_LIMITS.maxParameters} parameters`,
      path,
    );
  }
  const before = problems.issues.length;
  const values: Partial<Record<string, unknown>> = {};
  const events: RawEvent[] = [];
  const errorCodes: string[] = [];
  const seen = eachNamed(
    parameters,
    (index) => `${path}.parameter[${index}]`,
    (name) => name in SINGLE,
    problems,
    (name, parameter, where) => {
      switch (name) {
        case 'subscription':
          values['subscription'] = subscriptionIdOf(parameter, where, rules, problems);
          return;
        case 'topic':
          values['topic'] = topicOf(parameter, where, problems);
          return;
        case 'status':
          values['status'] = codeOf(parameter, where, 'status', SUBSCRIPTION_STATUSES, problems);
          return;
        case 'type':
          values['type'] = codeOf(parameter, where, 'type', NOTIFICATION_TYPES, problems);
          return;
        case 'events-since-subscription-start':
          values['since'] = readCounter(parameter, where, name, problems);
          return;
        case 'heartbeat-period':
          values['heartbeat'] = readCounter(parameter, where, name, problems);
          return;
        case 'notification-event':
          if (events.length >= NOTIFICATION_LIMITS.maxEvents) {
            problems.add(`More than ${NOTIFICATION_LIMITS.maxEvents} notification-event parameters`, where);
            return;
          }
          events.push(parseEvent(parameter, where, rules, problems) ?? { additionalContext: [] });
          return;
        case 'error': {
          const code =
            errorCodes.length < NOTIFICATION_LIMITS.maxErrorCodes && errorCodeOf(parameter, where, problems);
          if (code) errorCodes.push(code);
          return;
        }
      }
    },
  );
  for (const [name, required] of Object.entries(SINGLE)) {
    if (required && !seen.has(name))
      problems.add(`The status Parameters has no ${name} parameter`, `${path}.parameter`);
  }
  if (problems.issues.length > before) return undefined;
  const heartbeat = (values['heartbeat'] as number | undefined) ?? extensionPeriod(resource);
  return {
    type: values['type'] as NotificationType,
    status: values['status'] as SubscriptionStatusCode,
    subscriptionId: values['subscription'] as string,
    ...(values['topic'] === undefined ? {} : { topic: values['topic'] as string }),
    ...(values['since'] === undefined ? {} : { eventsSinceSubscriptionStart: values['since'] as number }),
    ...(heartbeat === undefined ? {} : { heartbeatPeriodSeconds: heartbeat }),
    errorCodes,
    events,
    profileDeclared: declaresProfile(resource),
  };
};
