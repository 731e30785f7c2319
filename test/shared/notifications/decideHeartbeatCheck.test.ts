import { describe, expect, it } from 'vitest';
import {
  decideHeartbeatCheck,
  heartbeatDeadline,
  isHeartbeatOverdue,
} from '../../../shared/notifications/decideHeartbeatCheck.js';
import { decideNotification } from '../../../shared/notifications/decideNotification.js';
import { at, sourceState, statusNotification } from '../../helpers/backportNotifications.js';

/** Heard from at T0 + 10 s, heartbeat every 60 s: overdue after T0 + 10 + 60 + 60 s (tolerance one period). */
const beating = (overrides = {}) =>
  sourceState({
    status: 'active',
    heartbeatPeriodSeconds: 60,
    lastNotificationAt: at(10),
    caughtUpAt: at(10),
    lastEventNumber: 4,
    ...overrides,
  });

describe('Function: isHeartbeatOverdue', () => {
  it('is due one period plus one period of tolerance after the source was last heard from', () => {
    expect(heartbeatDeadline(beating())).toBe(at(130));
    expect(isHeartbeatOverdue(beating(), at(130))).toBe(false);
    expect(isHeartbeatOverdue(beating(), at(131))).toBe(true);
  });

  it('takes a tolerance when given, and at least 30 s by default', () => {
    expect(heartbeatDeadline(beating(), 5)).toBe(at(75));
    expect(heartbeatDeadline(beating({ heartbeatPeriodSeconds: 10 }))).toBe(at(50));
  });

  it('counts from registration when nothing was heard yet', () => {
    const state = sourceState({ heartbeatPeriodSeconds: 60 });
    expect(heartbeatDeadline(state)).toBe(at(120));
  });

  it('expects no heartbeat without a period, or from a subscription that is off', () => {
    expect(heartbeatDeadline(beating({ heartbeatPeriodSeconds: undefined }))).toBeUndefined();
    expect(heartbeatDeadline(beating({ heartbeatPeriodSeconds: 0 }))).toBeUndefined();
    expect(isHeartbeatOverdue(beating({ status: 'off' }), at(10_000))).toBe(false);
  });
});

describe('Function: decideHeartbeatCheck', () => {
  it('does nothing while the source keeps to its period', () => {
    const state = beating();
    expect(decideHeartbeatCheck(state, { now: at(100) })).toEqual({
      state,
      changed: false,
      disposition: 'heartbeat-on-time',
      actions: [],
    });
  });

  it('counts a missed heartbeat and catches up from the last good point once it is overdue', () => {
    const decision = decideHeartbeatCheck(beating({ caughtUpSourceAt: at(8) }), {
      now: at(200),
      catchUpMarginSeconds: 30,
    });
    expect(decision.disposition).toBe('heartbeat-overdue');
    expect(decision.actions).toEqual([
      {
        kind: 'catch-up',
        reasons: ['heartbeat-overdue'],
        since: at(8 - 30),
        resourceTypes: ['Encounter', 'Patient'],
        missing: [],
      },
    ]);
    expect(decision.state).toMatchObject({ overdueNoticedAt: at(200), caughtUpAt: at(200), revision: 1 });
    expect(decision.state.caughtUpSourceAt).toBeUndefined();
    expect(decision.state.counts.heartbeatsMissed).toBe(1);
  });

  it('while the source stays silent, catches up once a period, each time from the previous one', () => {
    let state = beating();
    const found: string[] = [];
    for (let seconds = 130; seconds <= 600; seconds += 10) {
      const decision = decideHeartbeatCheck(state, { now: at(seconds), catchUpMarginSeconds: 0 });
      const action = decision.actions[0];
      if (action?.kind === 'catch-up') found.push(`${seconds}:${action.since}`);
      state = decision.state;
    }
    expect(found).toEqual([`140:${at(10)}`, `270:${at(140)}`, `400:${at(270)}`, `530:${at(400)}`]);
    expect(state.counts.heartbeatsMissed).toBe(4);
  });

  it('starts counting again from the next notification the source pushes', () => {
    const overdue = decideHeartbeatCheck(beating(), { now: at(200) }).state;
    const heard = decideNotification(overdue, statusNotification('heartbeat', 4), { now: at(210) }).state;
    expect(heard.overdueNoticedAt).toBeUndefined();
    expect(heartbeatDeadline(heard)).toBe(at(330));
  });
});

describe('Function: decideHeartbeatCheck, pending numbers', () => {
  const pending = { from: 5, to: 6, foundAt: at(20), since: at(5) };

  it('leaves a number pending within its grace period', () => {
    const decision = decideHeartbeatCheck(beating({ pendingGaps: [pending] }), {
      now: at(40),
      gapGraceSeconds: 30,
    });
    expect(decision.changed).toBe(false);
  });

  it('makes a pending number a gap past its grace, even while the source keeps to its heartbeat', () => {
    const state = beating({ pendingGaps: [pending], lastNotificationAt: at(45) });
    const decision = decideHeartbeatCheck(state, { now: at(50), gapGraceSeconds: 30 });
    expect(decision.disposition).toBe('gap');
    expect(decision.actions).toEqual([
      { kind: 'record-gap', range: { from: 5, to: 6 } },
      {
        kind: 'catch-up',
        reasons: ['event-gap'],
        since: at(5),
        resourceTypes: ['Encounter', 'Patient'],
        missing: [{ from: 5, to: 6 }],
      },
    ]);
    expect(decision.state.pendingGaps).toBeUndefined();
    expect(decision.state.counts).toMatchObject({ gapsFound: 1, eventsMissed: 2, heartbeatsMissed: 0 });
    expect(decision.state.overdueNoticedAt).toBeUndefined();
  });
});
