import { readFileSync } from 'node:fs';
import { normalizeOrigins, type ReferenceRules } from '../../shared/notifications/parseResourceReference.js';
import { newSourceState } from '../../shared/notifications/newSourceState.js';
import type {
  BackportNotification,
  NotificationEntry,
  NotificationEvent,
  ResourceRef,
  SourceSubscriptionState,
} from '../../shared/notifications/types.js';
import { knownResourceTypes } from '../../shared/ingest/validateFhirResource.js';

/** The IG-derived notification Bundles in test/fixtures/backport, parsed fresh on every call. */
export const backportFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/backport/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const r4Types = new Set(knownResourceTypes());

/** The origins the fixtures use, and the real R4 type list. */
export const fixtureRules: ReferenceRules = {
  allowedOrigins: normalizeOrigins(['https://example.org', 'http://hapi.example.org']),
  isResourceType: (name) => r4Types.has(name),
};

export const T0 = '2026-03-01T10:00:00.000Z';
/** `T0` plus `seconds`. */
export const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/** A registered source subscription (at T0) with Encounter and Patient as its topic's types. */
export const sourceState = (overrides: Partial<SourceSubscriptionState> = {}): SourceSubscriptionState => ({
  ...newSourceState({ subscriptionId: 'admission', resourceTypes: ['Encounter', 'Patient'], now: T0 }),
  ...overrides,
});

export const encounter = (id: string): ResourceRef => ({ resourceType: 'Encounter', id });

/** A notification event with a focus Encounter/{number} unless `focus: null`. */
export const event = (
  eventNumber: number,
  options: { focus?: ResourceRef | null; timestamp?: string; precise?: boolean } = {},
): NotificationEvent => ({
  eventNumber,
  ...(options.focus === null ? {} : { focus: options.focus ?? encounter(String(eventNumber)) }),
  ...(options.timestamp === undefined
    ? {}
    : { timestamp: { at: options.timestamp, precise: options.precise ?? true } }),
  additionalContext: [],
});

/** A full-resource entry upserting the focus of `event`. */
export const upsertEntry = (ref: ResourceRef, index = 1): NotificationEntry => ({
  index,
  ref,
  action: 'upsert',
  resource: { resourceType: ref.resourceType, id: ref.id },
});

/** An event-notification for the `admission` subscription; payload inferred as the parser would. */
export const eventNotification = (
  events: readonly NotificationEvent[],
  options: Partial<BackportNotification> = {},
): BackportNotification => {
  const entries = options.entries ?? [];
  return {
    type: 'event-notification',
    status: 'active',
    subscriptionId: 'admission',
    topic: 'http://hl7.org/SubscriptionTopic/admission',
    eventsSinceSubscriptionStart: Math.max(0, ...events.map((e) => e.eventNumber)),
    errorCodes: [],
    events,
    entries,
    payload: entries.some((e) => e.action !== 'read')
      ? 'full-resource'
      : entries.length > 0 || events.some((e) => e.focus)
        ? 'id-only'
        : 'empty',
    profileDeclared: true,
    ...options,
  };
};

/** A handshake, heartbeat or query-status with the given counter. */
export const statusNotification = (
  type: 'handshake' | 'heartbeat' | 'query-status',
  eventsSinceSubscriptionStart: number | undefined,
  options: Partial<BackportNotification> = {},
): BackportNotification => ({
  type,
  status: type === 'handshake' ? 'requested' : 'active',
  subscriptionId: 'admission',
  ...(eventsSinceSubscriptionStart === undefined ? {} : { eventsSinceSubscriptionStart }),
  errorCodes: [],
  events: [],
  entries: [],
  payload: 'empty',
  profileDeclared: true,
  ...options,
});
