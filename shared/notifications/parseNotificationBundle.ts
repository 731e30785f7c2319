import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { NOTIFICATION_LIMITS } from './constants.js';
import { isObject, Problems } from './parameterValues.js';
import { parseEntry, type ParsedEntry } from './parseEntry.js';
import type { EventTarget, RawEvent } from './parseEvent.js';
import { parseEventTime } from './parseEventTime.js';
import type { ReferenceRules } from './parseResourceReference.js';
import { parseStatusParameters } from './parseStatusParameters.js';
import type {
  BackportNotification,
  NotificationEntry,
  NotificationEvent,
  PayloadContent,
  ResourceRef,
} from './types.js';

export type NotificationParseResult =
  | { readonly ok: true; readonly notification: BackportNotification }
  | { readonly ok: false; readonly issues: readonly OperationOutcomeIssue[] };

const STATUS_PATH = 'Bundle.entry[0].resource';

/** Checks the Bundle envelope; returns its entries, or undefined with the problems recorded. */
const envelope = (value: unknown, problems: Problems): unknown[] | undefined => {
  if (!isObject(value) || value['resourceType'] !== 'Bundle') {
    return problems.add('A notification must be a Bundle', 'Bundle');
  }
  if (value['type'] === 'subscription-notification') {
    return problems.add(
      'R5 subscription-notification Bundles are not supported; send R4 backport notifications',
      'Bundle.type',
      'not-supported',
    );
  }
  if (value['type'] !== 'history')
    return problems.add('A notification Bundle must have type history', 'Bundle.type');
  const entries = value['entry'];
  if (!Array.isArray(entries) || entries.length === 0) {
    return problems.add(
      'A notification Bundle needs the status Parameters as its first entry',
      'Bundle.entry',
    );
  }
  if (entries.length > NOTIFICATION_LIMITS.maxEntries) {
    return problems.add(
      `A notification Bundle may hold at most ${NOTIFICATION_LIMITS.maxEntries} entries`,
      'Bundle.entry',
    );
  }
  return entries;
};

/** The status resource of the first entry, when it is an R4 `Parameters`. */
const statusResource = (entries: unknown[], problems: Problems): Record<string, unknown> | undefined => {
  const first = entries[0];
  const resource = isObject(first) ? first['resource'] : undefined;
  if (!isObject(resource))
    return problems.add('The first entry must carry the status Parameters', STATUS_PATH);
  if (resource['resourceType'] === 'SubscriptionStatus') {
    return problems.add(
      'R4B SubscriptionStatus notifications are not supported; send the R4 Parameters form',
      `${STATUS_PATH}.resourceType`,
      'not-supported',
    );
  }
  if (resource['resourceType'] !== 'Parameters') {
    return problems.add(
      'The first entry must be a Parameters with the backport SubscriptionStatus profile',
      `${STATUS_PATH}.resourceType`,
    );
  }
  return resource;
};

/** A `urn:` target resolved to the entry with that fullUrl. */
const resolve = (target: EventTarget, byFullUrl: ReadonlyMap<string, ResourceRef>, problems: Problems) => {
  if ('ref' in target) return target.ref;
  return (
    byFullUrl.get(target.urn) ??
    problems.add('The reference names a urn that no entry has as fullUrl', target.path)
  );
};

const resolveEvent = (
  event: RawEvent,
  byFullUrl: ReadonlyMap<string, ResourceRef>,
  problems: Problems,
): NotificationEvent => {
  const focus = event.focus && resolve(event.focus, byFullUrl, problems);
  return {
    // parseEvent reported an event without a number; this runs only when there were no problems.
    eventNumber: event.eventNumber as number,
    ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
    ...(focus === undefined ? {} : { focus }),
    additionalContext: event.additionalContext.flatMap(
      (target) => resolve(target, byFullUrl, problems) ?? [],
    ),
  };
};

const payloadOf = (
  events: readonly NotificationEvent[],
  entries: readonly NotificationEntry[],
): PayloadContent => {
  if (entries.some((entry) => entry.action !== 'read')) return 'full-resource';
  return entries.length > 0 || events.some((event) => event.focus) ? 'id-only' : 'empty';
};

/**
 * Turns a parsed request body into a backport notification, or the list of everything wrong with it,
 * each issue with a FHIRPath-like `expression` and never a value from the body. Checks that it is a
 * `history` Bundle whose first entry is the backport SubscriptionStatus `Parameters` (a missing
 * `meta.profile` is tolerated, a wrong shape is not), reads its status and events, and reads each
 * further entry as an upsert, a delete or a read. Every URL and reference is checked (R4 resource
 * type, FHIR id, allowed origin) before it can become a path.
 *
 * @example
 * const result = parseNotificationBundle(body, { allowedOrigins: normalizeOrigins([sourceUrl]), isResourceType });
 * if (!result.ok) return invalidOutcome([...result.issues]);
 */
export const parseNotificationBundle = (value: unknown, rules: ReferenceRules): NotificationParseResult => {
  const problems = new Problems();
  const entries = envelope(value, problems);
  if (!entries) return { ok: false, issues: problems.issues };
  const resource = statusResource(entries, problems);
  const status = resource && parseStatusParameters(resource, STATUS_PATH, rules, problems);

  const timestamp = (value as Record<string, unknown>)['timestamp'];
  const sent = timestamp === undefined ? undefined : parseEventTime(timestamp);
  if (timestamp !== undefined && !sent)
    problems.add('Bundle.timestamp must be a FHIR instant', 'Bundle.timestamp');

  // Entries are read even when the status is wrong, so one answer lists every problem.
  const parsed = entries.slice(1).map((entry, index) => parseEntry(entry, index + 1, rules, problems));
  if (!status) return { ok: false, issues: problems.issues };
  const byFullUrl = new Map(
    parsed.flatMap((item) => (item?.fullUrl === undefined ? [] : [[item.fullUrl, item.entry.ref] as const])),
  );
  const events = status.events.map((event) => resolveEvent(event, byFullUrl, problems));
  const payload = parsed.filter((item): item is ParsedEntry => item !== undefined).map((item) => item.entry);
  if (
    (status.type === 'handshake' || status.type === 'heartbeat') &&
    (events.length > 0 || entries.length > 1)
  ) {
    problems.add(`A ${status.type} carries no notification-event and no entries`, 'Bundle.entry');
  }
  if (problems.issues.length > 0) return { ok: false, issues: problems.issues };

  const { events: _raw, ...info } = status;
  return {
    ok: true,
    notification: {
      ...info,
      events,
      entries: payload,
      payload: payloadOf(events, payload),
      ...(sent?.precise ? { sentAt: sent.at } : {}),
    },
  };
};
