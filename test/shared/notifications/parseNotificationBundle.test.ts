import { describe, expect, it } from 'vitest';
import { BACKPORT_STATUS_PROFILE, NOTIFICATION_LIMITS } from '../../../shared/notifications/constants.js';
import { parseNotificationBundle } from '../../../shared/notifications/parseNotificationBundle.js';
import type { BackportNotification } from '../../../shared/notifications/types.js';
import { backportFixture, fixtureRules } from '../../helpers/backportNotifications.js';

const ENCOUNTER_ID = '86009987-eabe-42bf-8c02-b112b18cb616';
const PATIENT_ID = '1599eb66-431a-447c-a3de-6897fe9ae9a1';
const IG_EVENT_TIME = '2020-05-29T16:44:13.188Z';

type Json = Record<string, unknown>;

const parse = (value: unknown): BackportNotification => {
  const result = parseNotificationBundle(value, fixtureRules);
  if (!result.ok) throw new Error(`unexpected problems: ${JSON.stringify(result.issues)}`);
  return result.notification;
};

const issuesOf = (value: unknown) => {
  const result = parseNotificationBundle(value, fixtureRules);
  if (result.ok) throw new Error('expected problems');
  return result.issues;
};

/** The status Parameters of a fixture, to edit in place. */
const statusOf = (bundle: Json): Json => ((bundle['entry'] as Json[])[0] as Json)['resource'] as Json;
const parametersOf = (bundle: Json): Json[] => statusOf(bundle)['parameter'] as Json[];
const parameterNamed = (bundle: Json, name: string): Json =>
  parametersOf(bundle).find((p) => p['name'] === name) as Json;
const eventParts = (bundle: Json): Json[] => parameterNamed(bundle, 'notification-event')['part'] as Json[];
const partNamed = (bundle: Json, name: string): Json =>
  eventParts(bundle).find((p) => p['name'] === name) as Json;
const entries = (bundle: Json): Json[] => bundle['entry'] as Json[];

describe('Function: parseNotificationBundle, on the IG examples', () => {
  it('reads a handshake: requested, no events, nothing to replicate', () => {
    expect(parse(backportFixture('handshake'))).toEqual({
      type: 'handshake',
      status: 'requested',
      subscriptionId: 'admission',
      topic: 'http://hl7.org/SubscriptionTopic/admission',
      eventsSinceSubscriptionStart: 0,
      errorCodes: [],
      events: [],
      entries: [],
      payload: 'empty',
      sentAt: IG_EVENT_TIME,
      profileDeclared: true,
    });
  });

  it('reads a heartbeat with its counter', () => {
    const notification = parse(backportFixture('heartbeat'));
    expect(notification).toMatchObject({
      type: 'heartbeat',
      status: 'active',
      eventsSinceSubscriptionStart: 2,
    });
    expect(notification.events).toEqual([]);
    expect(notification.entries).toEqual([]);
  });

  it('reads an empty event notification: an event number and a time, no focus, no entries', () => {
    const notification = parse(backportFixture('empty'));
    expect(notification.type).toBe('event-notification');
    expect(notification.payload).toBe('empty');
    expect(notification.events).toEqual([
      { eventNumber: 2, timestamp: { at: IG_EVENT_TIME, precise: true }, additionalContext: [] },
    ]);
  });

  it('reads an id-only notification: the absolute focus URL becomes a checked Type/id', () => {
    const notification = parse(backportFixture('id-only'));
    expect(notification.payload).toBe('id-only');
    expect(notification.events[0]?.focus).toEqual({ resourceType: 'Encounter', id: ENCOUNTER_ID });
    expect(notification.entries).toEqual([]);
  });

  it('reads a full-resource notification: the Encounter entry is an upsert carrying the resource', () => {
    const bundle = backportFixture('full-resource');
    const notification = parse(bundle);
    expect(notification.payload).toBe('full-resource');
    expect(notification.entries).toEqual([
      {
        index: 1,
        ref: { resourceType: 'Encounter', id: ENCOUNTER_ID },
        action: 'upsert',
        resource: entries(bundle)[1]?.['resource'],
      },
    ]);
  });

  it('reads additional context: the GET entry carrying the Patient is an upsert too', () => {
    const notification = parse(backportFixture('multi-resource'));
    expect(notification.events[0]?.additionalContext).toEqual([{ resourceType: 'Patient', id: PATIENT_ID }]);
    expect(notification.entries.map((entry) => [entry.ref.resourceType, entry.action])).toEqual([
      ['Encounter', 'upsert'],
      ['Patient', 'upsert'],
    ]);
  });

  it('reads a delete: request.method DELETE with no resource', () => {
    const notification = parse(backportFixture('delete'));
    expect(notification.payload).toBe('full-resource');
    expect(notification.entries).toEqual([
      { index: 1, ref: { resourceType: 'Encounter', id: ENCOUNTER_ID }, action: 'delete' },
    ]);
  });

  it('reads an error status with its error code, never its text', () => {
    const notification = parse(backportFixture('error'));
    expect(notification).toMatchObject({
      type: 'query-status',
      status: 'error',
      eventsSinceSubscriptionStart: 3,
    });
    expect(notification.errorCodes).toEqual([
      'http://terminology.hl7.org/CodeSystem/subscription-error|no-response',
    ]);
  });

  it("reads HAPI FHIR's shape: relative references, a day-precision timestamp, an empty status request", () => {
    const notification = parse(backportFixture('hapi-full-resource-update'));
    expect(notification).toMatchObject({
      subscriptionId: 'encounter-admissions',
      eventsSinceSubscriptionStart: 7,
    });
    expect(notification.events).toEqual([
      {
        eventNumber: 7,
        timestamp: { at: '2024-11-04T10:00:00.000Z', precise: false },
        focus: { resourceType: 'Encounter', id: '42' },
        additionalContext: [],
      },
    ]);
    expect(notification.entries[0]).toMatchObject({
      ref: { resourceType: 'Encounter', id: '42', versionId: '3' },
      action: 'upsert',
    });
    expect(notification.sentAt).toBeUndefined();
  });
});

describe('Function: parseNotificationBundle, tolerant where servers differ', () => {
  it('accepts a status Parameters without meta.profile and says so', () => {
    const bundle = backportFixture('id-only');
    delete statusOf(bundle)['meta'];
    expect(parse(bundle).profileDeclared).toBe(false);
    statusOf(bundle)['meta'] = { profile: ['http://example.org/derived-profile'] };
    expect(parse(bundle).profileDeclared).toBe(false);
    statusOf(bundle)['meta'] = { profile: [BACKPORT_STATUS_PROFILE] };
    expect(parse(bundle).profileDeclared).toBe(true);
  });

  it('accepts counters sent as integers, and ignores parameters it does not know', () => {
    const bundle = backportFixture('empty');
    parameterNamed(bundle, 'events-since-subscription-start')['valueUnsignedInt'] = 2;
    delete parameterNamed(bundle, 'events-since-subscription-start')['valueString'];
    partNamed(bundle, 'event-number')['valueInteger'] = 2;
    delete partNamed(bundle, 'event-number')['valueString'];
    parametersOf(bundle).push({ name: 'some-vendor-parameter', valueString: 'x' });
    expect(parse(bundle)).toMatchObject({ eventsSinceSubscriptionStart: 2, events: [{ eventNumber: 2 }] });
  });

  it('reads a heartbeat period when a server adds one', () => {
    const bundle = backportFixture('heartbeat');
    parametersOf(bundle).push({ name: 'heartbeat-period', valueUnsignedInt: 120 });
    expect(parse(bundle).heartbeatPeriodSeconds).toBe(120);
  });

  it('treats a focus that names no FHIR resource (identifier only) as no focus', () => {
    const bundle = backportFixture('id-only');
    partNamed(bundle, 'focus')['valueReference'] = { identifier: { system: 'urn:x', value: '1' } };
    expect(parse(bundle).events[0]?.focus).toBeUndefined();
  });

  it('resolves a urn: focus to the entry with that fullUrl', () => {
    const bundle = backportFixture('full-resource');
    (entries(bundle)[1] as Json)['fullUrl'] = 'urn:uuid:0c3b7a24-3d2f-4a8e-9a51-1f5d3c2b9e01';
    partNamed(bundle, 'focus')['valueReference'] = {
      reference: 'urn:uuid:0c3b7a24-3d2f-4a8e-9a51-1f5d3c2b9e01',
    };
    expect(parse(bundle).events[0]?.focus).toEqual({ resourceType: 'Encounter', id: ENCOUNTER_ID });
  });

  it('reads an id-only entry (fullUrl and request, no resource) as a read', () => {
    const bundle = backportFixture('id-only');
    entries(bundle).push({
      fullUrl: 'https://example.org/fhir/Encounter/86009987-eabe-42bf-8c02-b112b18cb616/_history/4',
      request: { method: 'PUT', url: 'Encounter/86009987-eabe-42bf-8c02-b112b18cb616' },
    });
    expect(parse(bundle).entries).toEqual([
      { index: 1, ref: { resourceType: 'Encounter', id: ENCOUNTER_ID, versionId: '4' }, action: 'read' },
    ]);
  });

  it('reads a PATCH entry, whose body is not the resource, as a read', () => {
    const bundle = backportFixture('full-resource');
    (entries(bundle)[1] as Json)['request'] = { method: 'PATCH', url: `Encounter/${ENCOUNTER_ID}` };
    expect(parse(bundle).entries[0]?.action).toBe('read');
  });
});

describe('Function: parseNotificationBundle, strict on shape', () => {
  it.each([
    ['a Patient', { resourceType: 'Patient' }, 'Bundle'],
    ['an array', [], 'Bundle'],
    ['a transaction Bundle', { resourceType: 'Bundle', type: 'transaction', entry: [{}] }, 'Bundle.type'],
    ['a history Bundle without entries', { resourceType: 'Bundle', type: 'history' }, 'Bundle.entry'],
    [
      'a history Bundle whose first entry is no Parameters',
      {
        resourceType: 'Bundle',
        type: 'history',
        entry: [{ resource: { resourceType: 'Patient', id: 'a' } }],
      },
      'Bundle.entry[0].resource.resourceType',
    ],
  ])('refuses %s as not a notification', (_name, body, expression) => {
    expect(issuesOf(body)).toEqual([expect.objectContaining({ code: 'invalid', expression: [expression] })]);
  });

  it('refuses R5 and R4B notification shapes as not supported', () => {
    expect(
      issuesOf({ resourceType: 'Bundle', type: 'subscription-notification', entry: [] })[0],
    ).toMatchObject({
      code: 'not-supported',
      expression: ['Bundle.type'],
    });
    const r4b = {
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'SubscriptionStatus' } }],
    };
    expect(issuesOf(r4b)[0]).toMatchObject({
      code: 'not-supported',
      expression: ['Bundle.entry[0].resource.resourceType'],
    });
  });

  it('reports every missing or repeated required parameter at once', () => {
    const bundle = backportFixture('heartbeat');
    statusOf(bundle)['parameter'] = [
      { name: 'type', valueCode: 'heartbeat' },
      { name: 'type', valueCode: 'heartbeat' },
    ];
    const issues = issuesOf(bundle);
    expect(issues.map((i) => i.diagnostics)).toEqual([
      'type occurs more than once',
      'The status Parameters has no subscription parameter',
      'The status Parameters has no status parameter',
    ]);
    expect(issues[0]?.expression).toEqual(['Bundle.entry[0].resource.parameter[1]']);
  });

  it.each([
    ['status', 'valueCode', 'paused', 'status must be one of'],
    ['type', 'valueCode', 'notification', 'type must be one of'],
    ['events-since-subscription-start', 'valueString', '-1', 'must be a non-negative integer'],
    ['events-since-subscription-start', 'valueString', '1234567890123456', 'must be a non-negative integer'],
    ['topic', 'valueCanonical', 'has spaces', 'topic must be a canonical URL'],
  ])('refuses %s given as %s %j', (name, key, value, message) => {
    const bundle = backportFixture('empty');
    const parameter = parameterNamed(bundle, name);
    for (const k of Object.keys(parameter)) if (k.startsWith('value')) delete parameter[k];
    parameter[key] = value;
    const issues = issuesOf(bundle);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.diagnostics).toContain(message);
    expect(issues[0]?.expression?.[0]).toMatch(/^Bundle\.entry\[0\]\.resource\.parameter\[\d\]\.value/);
  });

  it('refuses a value of the wrong type, naming the types allowed', () => {
    const bundle = backportFixture('empty');
    parameterNamed(bundle, 'status')['valueString'] = 'active';
    expect(issuesOf(bundle)[0]?.diagnostics).toBe('status must have exactly one value, as valueCode');
  });

  it('refuses an event without a number, and an impossible timestamp', () => {
    const bundle = backportFixture('empty');
    parameterNamed(bundle, 'notification-event')['part'] = [
      { name: 'timestamp', valueInstant: '2024-02-30T10:00:00Z' },
    ];
    expect(issuesOf(bundle).map((i) => i.diagnostics)).toEqual([
      'timestamp must be a FHIR instant',
      'notification-event has no event-number',
    ]);
  });

  it('refuses a handshake or heartbeat that carries events or entries', () => {
    const bundle = backportFixture('heartbeat');
    entries(bundle).push((backportFixture('full-resource')['entry'] as Json[])[1] as Json);
    expect(issuesOf(bundle)[0]?.diagnostics).toBe('A heartbeat carries no notification-event and no entries');
  });

  it('refuses more entries than the limit', () => {
    const bundle = backportFixture('empty');
    const first = entries(bundle)[0] as Json;
    bundle['entry'] = [first, ...Array.from({ length: NOTIFICATION_LIMITS.maxEntries }, () => ({}))];
    expect(issuesOf(bundle)[0]?.diagnostics).toContain(`at most ${NOTIFICATION_LIMITS.maxEntries} entries`);
  });

  it('refuses a urn: focus that no entry carries', () => {
    const bundle = backportFixture('id-only');
    partNamed(bundle, 'focus')['valueReference'] = {
      reference: 'urn:uuid:0c3b7a24-3d2f-4a8e-9a51-1f5d3c2b9e01',
    };
    expect(issuesOf(bundle)[0]).toMatchObject({
      diagnostics: 'The reference names a urn that no entry has as fullUrl',
      expression: ['Bundle.entry[0].resource.parameter[5].part[2].valueReference.reference'],
    });
  });

  it('refuses an entry whose resource, fullUrl and request.url disagree', () => {
    const bundle = backportFixture('full-resource');
    (entries(bundle)[1] as Json)['request'] = { method: 'PUT', url: 'Encounter/another-id' };
    expect(issuesOf(bundle)[0]).toMatchObject({
      diagnostics: 'The entry resource, fullUrl and request.url name different resources',
      expression: ['Bundle.entry[1]'],
    });
  });

  it('refuses an entry that names no resource instance, and an unknown method', () => {
    const bundle = backportFixture('full-resource');
    entries(bundle).push({
      request: { method: 'POST', url: 'Encounter' },
      resource: { resourceType: 'Encounter' },
    });
    entries(bundle).push({ request: { method: 'TRACE', url: 'Encounter/1' } });
    expect(issuesOf(bundle).map((i) => i.expression?.[0])).toEqual([
      'Bundle.entry[2]',
      'Bundle.entry[3].request.method',
    ]);
  });
});

describe('Function: parseNotificationBundle, hostile references', () => {
  it.each([
    ['an origin that is not allowed', 'https://attacker.example/fhir/Encounter/1', 'security'],
    ['the allowed host on another port', 'https://example.org:8443/fhir/Encounter/1', 'security'],
    ['the allowed host over another scheme', 'http://example.org/fhir/Encounter/1', 'security'],
    ['a type that is not an R4 resource type', 'Bogus/1', 'invalid'],
    ['a lower-case type', 'encounter/1', 'invalid'],
    ['an encoded path traversal', 'Encounter/..%2F..%2Fadmin', 'invalid'],
    ['a dot-dot id', 'Encounter/..', 'invalid'],
    ['a query', 'Encounter?_id=1', 'invalid'],
    ['credentials in the URL', 'https://user:pw@example.org/fhir/Encounter/1', 'invalid'],
    ['a javascript: URL', 'javascript:alert(1)', 'invalid'],
    ['a control character', 'Encounter/1\n', 'invalid'],
    ['an overlong reference', `Encounter/${'a'.repeat(NOTIFICATION_LIMITS.maxReferenceLength)}`, 'invalid'],
  ])('refuses a focus with %s', (_name, reference, code) => {
    const bundle = backportFixture('id-only');
    partNamed(bundle, 'focus')['valueReference'] = { reference };
    const issues = issuesOf(bundle);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code,
      expression: ['Bundle.entry[0].resource.parameter[5].part[2].valueReference.reference'],
    });
  });

  it('refuses a subscription reference that is not a Subscription, or off the allowed origins', () => {
    const bundle = backportFixture('heartbeat');
    parameterNamed(bundle, 'subscription')['valueReference'] = { reference: 'Patient/admission' };
    expect(issuesOf(bundle)[0]?.diagnostics).toBe('subscription must reference a Subscription by a valid id');
    parameterNamed(bundle, 'subscription')['valueReference'] = {
      reference: 'https://evil.example/Subscription/a',
    };
    expect(issuesOf(bundle)[0]?.code).toBe('security');
  });

  it('refuses entry URLs off the allowed origins and resource ids that are not FHIR ids', () => {
    const bundle = backportFixture('full-resource');
    (entries(bundle)[1] as Json)['fullUrl'] =
      'https://evil.example/fhir/Encounter/86009987-eabe-42bf-8c02-b112b18cb616';
    expect(issuesOf(bundle)[0]).toMatchObject({ code: 'security', expression: ['Bundle.entry[1].fullUrl'] });
    const other = backportFixture('full-resource');
    ((entries(other)[1] as Json)['resource'] as Json)['id'] = '../../etc/passwd';
    expect(issuesOf(other)[0]?.expression).toEqual(['Bundle.entry[1].resource.id']);
  });

  it('never quotes a value from the body in its diagnostics', () => {
    const secret = 'JaneDoe-1984-03-07';
    const bundle = backportFixture('full-resource');
    parameterNamed(bundle, 'status')['valueCode'] = secret;
    parameterNamed(bundle, 'type')['valueCode'] = secret;
    parameterNamed(bundle, 'events-since-subscription-start')['valueString'] = secret;
    partNamed(bundle, 'focus')['valueReference'] = { reference: `https://evil.example/${secret}/Patient/1` };
    partNamed(bundle, 'timestamp')['valueInstant'] = secret;
    const entry = entries(bundle)[1] as Json;
    entry['fullUrl'] = `Patient/${secret}!`;
    (entry['resource'] as Json)['resourceType'] = secret;
    entries(bundle).push({ request: { method: secret, url: `Observation/${secret}?name=${secret}` } });
    const issues = issuesOf(bundle);
    expect(issues.length).toBeGreaterThanOrEqual(8);
    expect(JSON.stringify(issues)).not.toContain(secret);
    expect(JSON.stringify(issues)).not.toContain('evil.example');
  });
});
