import { describe, expect, it } from 'vitest';
import { decideNotification } from '../../../shared/notifications/decideNotification.js';
import { parseNotificationBundle } from '../../../shared/notifications/parseNotificationBundle.js';
import type {
  BackportNotification,
  NotificationDecision,
  SourceSubscriptionState,
} from '../../../shared/notifications/types.js';
import {
  at,
  backportFixture,
  encounter,
  event,
  eventNotification,
  fixtureRules,
  sourceState,
  statusNotification,
  upsertEntry,
} from '../../helpers/backportNotifications.js';

const MARGIN = 300;
/** Decides with no grace period: a skipped number is a gap at once (the grace has its own tests). */
const decide = (state: SourceSubscriptionState, notification: BackportNotification, now = at(60)) =>
  decideNotification(state, notification, { now, catchUpMarginSeconds: MARGIN, gapGraceSeconds: 0 });

/** Feeds notifications in order, each arriving 10 s after the previous; returns every decision. */
const feed = (
  state: SourceSubscriptionState,
  notifications: BackportNotification[],
): NotificationDecision[] => {
  const decisions: NotificationDecision[] = [];
  let current = state;
  notifications.forEach((notification, index) => {
    const decision = decide(current, notification, at(10 * (index + 1)));
    decisions.push(decision);
    current = decision.state;
  });
  return decisions;
};

const fixture = (name: string): BackportNotification => {
  const result = parseNotificationBundle(backportFixture(name), fixtureRules);
  if (!result.ok) throw new Error(name);
  return result.notification;
};

/** A state that has accounted for events up to `last`, last good at T0 + 10 s. */
const after = (last: number, overrides: Partial<SourceSubscriptionState> = {}) =>
  sourceState({
    status: 'active',
    lastEventNumber: last,
    caughtUpAt: at(10),
    lastNotificationAt: at(10),
    ...overrides,
  });

const catchUp = (decision: NotificationDecision) =>
  decision.actions.find((action) => action.kind === 'catch-up');

describe('Function: decideNotification, on each notification shape', () => {
  it('records a handshake (baseline and status), replicating nothing', () => {
    const decision = decide(sourceState(), fixture('handshake'));
    expect(decision.disposition).toBe('handshake');
    expect(decision.actions).toEqual([]);
    expect(decision.state).toMatchObject({
      status: 'requested',
      lastEventNumber: 0,
      lastNotificationAt: at(60),
      caughtUpAt: at(60),
      caughtUpSourceAt: '2020-05-29T16:44:13.188Z',
      topic: 'http://hl7.org/SubscriptionTopic/admission',
      revision: 1,
    });
  });

  it('records a heartbeat that matches the counter, with nothing to do', () => {
    const decision = decide(after(2), fixture('heartbeat'));
    expect(decision).toMatchObject({ disposition: 'heartbeat', changed: true, actions: [] });
    expect(decision.state).toMatchObject({
      lastEventNumber: 2,
      lastHeartbeatAt: at(60),
      lastNotificationAt: at(60),
    });
  });

  it('replicates a full-resource notification as it stands', () => {
    const notification = fixture('full-resource');
    const decision = decide(after(1), notification);
    expect(decision.disposition).toBe('in-order');
    expect(decision.actions).toEqual([{ kind: 'replicate', entries: notification.entries }]);
    expect(decision.state).toMatchObject({
      lastEventNumber: 2,
      lastEventAt: '2020-05-29T16:44:13.188Z',
      caughtUpAt: at(60),
    });
  });

  it('replicates a delete as a delete', () => {
    const decision = decide(after(2), fixture('delete'));
    expect(decision.actions).toEqual([
      { kind: 'replicate', entries: [expect.objectContaining({ action: 'delete' })] },
    ]);
  });

  it('reads the focus of an id-only notification from the source', () => {
    const decision = decide(after(1), fixture('id-only'));
    expect(decision.actions).toEqual([
      { kind: 'read', refs: [{ resourceType: 'Encounter', id: '86009987-eabe-42bf-8c02-b112b18cb616' }] },
    ]);
  });

  it('replicates the additional context carried with the focus', () => {
    const decision = decide(after(1), fixture('multi-resource'));
    const replicate = decision.actions[0];
    expect(replicate?.kind === 'replicate' && replicate.entries.map((e) => e.ref.resourceType)).toEqual([
      'Encounter',
      'Patient',
    ]);
  });

  it('catches up the topic types _since the last good point for an empty notification', () => {
    const decision = decide(after(1), fixture('empty'));
    expect(decision.actions).toEqual([
      {
        kind: 'catch-up',
        reasons: ['empty-payload'],
        since: at(10 - MARGIN),
        resourceTypes: ['Encounter', 'Patient'],
        missing: [],
      },
    ]);
    expect(decision.state.caughtUpAt).toBe(at(60));
  });

  it('replicates entries the focus does not name (HAPI sends the focus of the first resource only)', () => {
    const notification = eventNotification([event(3)], {
      entries: [upsertEntry(encounter('3'), 1), upsertEntry({ resourceType: 'Patient', id: 'p' }, 2)],
    });
    const decision = decide(after(2), notification);
    expect(decision.actions).toEqual([{ kind: 'replicate', entries: notification.entries }]);
  });

  it('reads a full-resource focus whose entry the server left without content', () => {
    const notification = eventNotification([event(3)], {
      entries: [{ index: 1, ref: encounter('3'), action: 'read' }],
    });
    expect(decide(after(2), notification).actions).toEqual([{ kind: 'read', refs: [encounter('3')] }]);
  });
});

describe('Function: decideNotification, missed events', () => {
  it('records a skipped event number as a gap and catches up from the last good point', () => {
    const decision = decide(after(2), eventNotification([event(5)]));
    expect(decision.disposition).toBe('gap');
    expect(decision.actions).toEqual([
      { kind: 'read', refs: [encounter('5')] },
      { kind: 'record-gap', range: { from: 3, to: 4 } },
      {
        kind: 'catch-up',
        reasons: ['event-gap'],
        since: at(10 - MARGIN),
        resourceTypes: ['Encounter', 'Patient'],
        missing: [{ from: 3, to: 4 }],
      },
    ]);
    expect(decision.state).toMatchObject({ lastEventNumber: 5, caughtUpAt: at(60) });
    expect(decision.state.counts).toMatchObject({ gapsFound: 1, eventsMissed: 2, gapsRepaired: 0 });
  });

  it('finds every hole among several events of one notification', () => {
    const decision = decide(after(2), eventNotification([event(4), event(7), event(8)]));
    expect(decision.actions.filter((a) => a.kind === 'record-gap')).toEqual([
      { kind: 'record-gap', range: { from: 3, to: 3 } },
      { kind: 'record-gap', range: { from: 5, to: 6 } },
    ]);
    expect(decision.state.counts).toMatchObject({ gapsFound: 2, eventsMissed: 3 });
  });

  it('counts events the counter says happened beyond the last event carried', () => {
    const decision = decide(after(2), eventNotification([event(3)], { eventsSinceSubscriptionStart: 5 }));
    expect(decision.actions.filter((a) => a.kind === 'record-gap')).toEqual([
      { kind: 'record-gap', range: { from: 4, to: 5 } },
    ]);
    expect(decision.state.lastEventNumber).toBe(5);
  });

  it('finds a gap from a heartbeat whose counter is ahead', () => {
    const decision = decide(after(2), statusNotification('heartbeat', 4));
    expect(decision.disposition).toBe('gap');
    expect(catchUp(decision)).toMatchObject({ reasons: ['event-gap'], missing: [{ from: 3, to: 4 }] });
    expect(decision.state).toMatchObject({ lastEventNumber: 4 });
    expect(decision.state.lastEventAt).toBeUndefined();
  });

  it('takes the first event it hears as the baseline: nothing before it is a gap', () => {
    const decision = decide(sourceState(), eventNotification([event(41)]));
    expect(decision.disposition).toBe('in-order');
    expect(decision.actions).toEqual([{ kind: 'read', refs: [encounter('41')] }]);
    expect(decision.state.lastEventNumber).toBe(41);
  });

  it('costs one range for a hostile jump of the counter', () => {
    const decision = decide(after(2), eventNotification([event(99_999_999_999_999)]));
    expect(decision.actions.filter((a) => a.kind === 'record-gap')).toEqual([
      { kind: 'record-gap', range: { from: 3, to: 99_999_999_999_998 } },
    ]);
  });

  it('catches up from the earlier of the two clocks: the source time of the last good event', () => {
    const state = after(2, { caughtUpAt: at(100), caughtUpSourceAt: at(40) });
    expect(catchUp(decide(state, eventNotification([event(4)]), at(200)))?.since).toBe(at(40 - MARGIN));
  });

  it('moves the source clock of the last good point with the events', () => {
    const decision = decide(
      after(2),
      eventNotification([event(3, { timestamp: at(55) })], { sentAt: at(57) }),
    );
    expect(decision.state).toMatchObject({ caughtUpSourceAt: at(55), lastEventAt: at(55) });
  });
});

describe('Function: decideNotification, duplicates and reordering change nothing', () => {
  it('leaves the state untouched for a repeat and re-reads what it names instead of applying it', () => {
    const notification = eventNotification([event(3)], { entries: [upsertEntry(encounter('3'))] });
    const [first, second] = feed(after(2), [notification, notification]);
    expect(first?.disposition).toBe('in-order');
    expect(second).toEqual({
      state: first?.state,
      changed: false,
      disposition: 'duplicate',
      actions: [{ kind: 'read', refs: [encounter('3')] }],
    });
  });

  it('accounts for an overtaken event in the gap, and leaves the state alone when it arrives', () => {
    const [four, three] = feed(after(2), [eventNotification([event(4)]), eventNotification([event(3)])]);
    expect(four?.disposition).toBe('gap');
    expect(four?.state.counts.gapsFound).toBe(1);
    expect(three).toMatchObject({ changed: false, disposition: 'duplicate' });
    expect(three?.state).toBe(four?.state);
  });

  it('re-reads an old event carried with a new one, and replicates only the new', () => {
    const notification = eventNotification([event(2), event(3)], {
      entries: [upsertEntry(encounter('2'), 1), upsertEntry(encounter('3'), 2)],
    });
    const decision = decide(after(2), notification);
    expect(decision.actions).toEqual([
      { kind: 'replicate', entries: [notification.entries[1]] },
      { kind: 'read', refs: [encounter('2')] },
    ]);
    expect(decision.state.lastEventNumber).toBe(3);
  });

  it('catches up again for a repeated empty notification, still without touching the state', () => {
    const state = after(2);
    const decision = decide(state, eventNotification([event(2, { focus: null })]));
    expect(decision.state).toBe(state);
    expect(catchUp(decision)).toMatchObject({ reasons: ['empty-payload'], since: at(10 - MARGIN) });
  });

  it('re-reads everything an $events answer names and changes nothing', () => {
    const state = after(5);
    const replay = eventNotification([event(3), event(4)], { type: 'query-event' });
    const decision = decide(state, replay);
    expect(decision).toEqual({
      state,
      changed: false,
      disposition: 'replay',
      actions: [{ kind: 'read', refs: [encounter('3'), encounter('4')] }],
    });
  });

  it('ignores a heartbeat whose counter is behind (sent before an event that overtook it)', () => {
    const decision = decide(after(5), statusNotification('heartbeat', 4));
    expect(decision.disposition).toBe('heartbeat');
    expect(decision.actions).toEqual([]);
    expect(decision.state.lastEventNumber).toBe(5);
  });
});

describe('Function: decideNotification, status error and counter resets', () => {
  it('catches up when the source reports status error, once per episode', () => {
    const error = statusNotification('heartbeat', 2, { status: 'error' });
    const active = statusNotification('heartbeat', 2);
    const decisions = feed(after(2), [error, error, active, error]);
    expect(decisions.map((d) => catchUp(d)?.reasons)).toEqual([
      ['error-status'],
      undefined,
      undefined,
      ['error-status'],
    ]);
    expect(decisions.at(-1)?.state.counts.errorStatuses).toBe(2);
  });

  it('catches up for an event notification that reports status error', () => {
    const decision = decide(after(2), eventNotification([event(3)], { status: 'error' }));
    expect(catchUp(decision)?.reasons).toEqual(['error-status']);
    expect(decision.state.status).toBe('error');
  });

  it('takes a handshake with a lower counter as a restart: new baseline and a catch-up', () => {
    const decision = decide(after(40), statusNotification('handshake', 0));
    expect(decision.disposition).toBe('counter-reset');
    expect(catchUp(decision)?.reasons).toEqual(['counter-reset']);
    expect(decision.state).toMatchObject({
      lastEventNumber: 0,
      counts: expect.objectContaining({ counterResets: 1 }),
    });
  });

  it('takes old numbers with newer precise times as a restart and applies them', () => {
    const state = after(40, { lastEventAt: at(5) });
    const notification = eventNotification([event(1, { timestamp: at(50) })], {
      entries: [upsertEntry(encounter('1'))],
    });
    const decision = decide(state, notification);
    expect(decision.disposition).toBe('counter-reset');
    expect(decision.actions).toEqual([
      { kind: 'replicate', entries: notification.entries },
      expect.objectContaining({ kind: 'catch-up', reasons: ['counter-reset'] }),
    ]);
    expect(decision.state).toMatchObject({ lastEventNumber: 1, lastEventAt: at(50) });
  });

  it('does not take day-precision times (HAPI FHIR) as proof of a restart', () => {
    const state = after(40, { lastEventAt: at(5) });
    const notification = eventNotification([event(1, { timestamp: at(50), precise: false })]);
    expect(decide(state, notification).disposition).toBe('duplicate');
  });

  it('forgets the last event time when the highest event has no precise time', () => {
    const decision = decide(after(2, { lastEventAt: at(5) }), eventNotification([event(3)]));
    expect(decision.state.lastEventAt).toBeUndefined();
  });
});

describe('Function: decideNotification, contact bookkeeping', () => {
  it('does not count a $status answer as the source being heard from', () => {
    const state = after(2, { overdueNoticedAt: at(30) });
    const decision = decide(state, statusNotification('query-status', 2));
    expect(decision.disposition).toBe('status');
    expect(decision.state).toMatchObject({
      lastNotificationAt: at(10),
      overdueNoticedAt: at(30),
      caughtUpAt: at(60),
    });
  });

  it('ends an overdue episode when the source pushes again', () => {
    const decision = decide(after(2, { overdueNoticedAt: at(30) }), statusNotification('heartbeat', 2));
    expect(decision.state.overdueNoticedAt).toBeUndefined();
  });

  it('applies a notification without event numbers but keeps the last good point', () => {
    const notification = eventNotification([], {
      eventsSinceSubscriptionStart: undefined,
      entries: [upsertEntry(encounter('9'))],
    });
    const decision = decide(after(2), notification);
    expect(decision.actions).toEqual([{ kind: 'replicate', entries: notification.entries }]);
    expect(decision.state).toMatchObject({
      lastEventNumber: 2,
      caughtUpAt: at(10),
      lastNotificationAt: at(60),
    });
  });

  it('catches up for notifications with neither numbers nor payload, each from the previous catch-up', () => {
    const notification = eventNotification([], { eventsSinceSubscriptionStart: undefined });
    const [first, second] = feed(after(2, { caughtUpAt: at(0) }), [notification, notification]);
    expect(catchUp(first!)).toMatchObject({ reasons: ['empty-payload'], since: at(0 - MARGIN) });
    expect(catchUp(second!)).toMatchObject({ reasons: ['empty-payload'], since: at(10 - MARGIN) });
  });

  it('keeps the heartbeat period a server sends, and the one it had otherwise', () => {
    const withPeriod = decide(
      sourceState(),
      statusNotification('heartbeat', 0, { heartbeatPeriodSeconds: 60 }),
    );
    expect(withPeriod.state.heartbeatPeriodSeconds).toBe(60);
    expect(decide(withPeriod.state, statusNotification('heartbeat', 0)).state.heartbeatPeriodSeconds).toBe(
      60,
    );
  });

  it('is pure: the state given is never modified', () => {
    const state = after(2);
    const copy = structuredClone(state);
    decide(state, eventNotification([event(9)], { status: 'error' }));
    expect(state).toEqual(copy);
  });
});

describe('Function: decideNotification, the grace period of a skipped number', () => {
  const GRACE = 30;
  const decideAt = (state: SourceSubscriptionState, notification: BackportNotification, seconds: number) =>
    decideNotification(state, notification, {
      now: at(seconds),
      catchUpMarginSeconds: MARGIN,
      gapGraceSeconds: GRACE,
    });

  it('keeps a skipped number pending, not yet a gap, and starts no catch-up', () => {
    const decision = decideAt(after(2), eventNotification([event(4)]), 60);
    expect(decision.disposition).toBe('in-order');
    expect(decision.actions).toEqual([{ kind: 'read', refs: [encounter('4')] }]);
    expect(decision.state.pendingGaps).toEqual([{ from: 3, to: 3, foundAt: at(60), since: at(10 - MARGIN) }]);
    expect(decision.state.counts.gapsFound).toBe(0);
  });

  it('lets an overtaken event arrive within the grace: no gap at all, it is read as the source has it', () => {
    const [four, three] = [eventNotification([event(4)]), eventNotification([event(3)])];
    const first = decideAt(after(2), four, 60);
    const second = decideAt(first.state, three, 65);
    expect(second.disposition).toBe('late');
    expect(second.actions).toEqual([{ kind: 'read', refs: [encounter('3')] }]);
    expect(second.state.pendingGaps).toBeUndefined();
    expect(second.state.counts).toEqual(after(2).counts);
    expect(second.state.lastEventNumber).toBe(4);
  });

  it('lets a heartbeat overtake the notification it counts without a gap', () => {
    const heartbeat = decideAt(after(2), statusNotification('heartbeat', 3), 60);
    expect(heartbeat.disposition).toBe('heartbeat');
    expect(heartbeat.actions).toEqual([]);
    const arrived = decideAt(heartbeat.state, eventNotification([event(3)]), 61);
    expect(arrived.disposition).toBe('late');
    expect(arrived.state.pendingGaps).toBeUndefined();
    expect(arrived.state.counts.gapsFound).toBe(0);
  });

  it('records the gap past the grace, and catches it up from when it went missing', () => {
    const first = decideAt(after(2), eventNotification([event(4)]), 60);
    const later = decideAt(first.state, eventNotification([event(5)]), 60 + GRACE);
    expect(later.disposition).toBe('gap');
    expect(later.actions.slice(1)).toEqual([
      { kind: 'record-gap', range: { from: 3, to: 3 } },
      {
        kind: 'catch-up',
        reasons: ['event-gap'],
        since: at(10 - MARGIN),
        resourceTypes: ['Encounter', 'Patient'],
        missing: [{ from: 3, to: 3 }],
      },
    ]);
    expect(later.state.pendingGaps).toBeUndefined();
    expect(later.state.counts).toMatchObject({ gapsFound: 1, eventsMissed: 1 });
  });

  it('splits a pending range around a number that arrives in its middle', () => {
    const first = decideAt(after(2), eventNotification([event(7)]), 60);
    const second = decideAt(first.state, eventNotification([event(5)]), 61);
    expect(second.state.pendingGaps?.map(({ from, to }) => [from, to])).toEqual([
      [3, 4],
      [6, 6],
    ]);
  });

  it('makes every pending number a gap when the counter restarts', () => {
    const pending = decideAt(after(40), eventNotification([event(42)]), 60).state;
    const reset = decideAt(pending, statusNotification('handshake', 0), 61);
    expect(reset.disposition).toBe('counter-reset');
    expect(reset.actions.filter((action) => action.kind === 'record-gap')).toEqual([
      { kind: 'record-gap', range: { from: 41, to: 41 } },
    ]);
    expect(catchUp(reset)?.reasons).toEqual(['counter-reset', 'event-gap']);
  });

  it('makes every pending number a gap at once past the limit of pending ranges', () => {
    let state = after(0);
    for (let n = 2; n <= 2 * 101; n += 2) state = decideAt(state, eventNotification([event(n)]), 60).state;
    expect(state.pendingGaps).toBeUndefined();
    expect(state.counts.gapsFound).toBe(101);
  });
});
