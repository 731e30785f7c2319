import { describe, expect, it } from 'vitest';
import { deliveryWarnings } from '../../bin/deliveryWarnings.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const FOURTEEN_DAYS = 1_209_600;

describe('deliveryWarnings', () => {
  it('warns about a pause by hand that the deployed configuration would undo', () => {
    const [warning, ...others] = deliveryWarnings({ state: 'Disabling', deployedState: 'running', now: NOW });
    expect(others).toEqual([]);
    expect(warning).toMatch(/paused by hand, but the stack deployed it running/);
    expect(warning).toMatch(/set delivery\.paused to true/);
  });

  it('warns about a resume by hand while the configuration says paused', () => {
    expect(deliveryWarnings({ state: 'Enabled', deployedState: 'paused', now: NOW })).toEqual([
      expect.stringMatching(/resumed by hand, but the stack deployed it paused/),
    ]);
  });

  it('says nothing when the live position is the deployed one, or the deployed one is unknown', () => {
    expect(deliveryWarnings({ state: 'Enabled', deployedState: 'running', now: NOW })).toEqual([]);
    expect(deliveryWarnings({ state: 'Disabled', deployedState: 'paused', now: NOW })).toEqual([]);
    expect(deliveryWarnings({ state: 'Disabled', now: NOW })).toEqual([]);
  });

  it('warns from half the retention on, with the time left, and not before', () => {
    const facts = {
      state: 'Disabled',
      deployedState: 'paused' as const,
      retentionSeconds: FOURTEEN_DAYS,
      now: NOW,
    };
    expect(deliveryWarnings({ ...facts, lastModified: daysAgo(6.9) })).toEqual([]);
    expect(deliveryWarnings({ ...facts, lastModified: daysAgo(7) })).toEqual([
      expect.stringMatching(/paused 7\.0 days .* 14\.0 days retention: resume within 7\.0 days/),
    ]);
  });

  it('counts the oldest queued write when it waited longer than the pause', () => {
    const [warning] = deliveryWarnings({
      state: 'Disabled',
      deployedState: 'paused',
      retentionSeconds: FOURTEEN_DAYS,
      lastModified: daysAgo(1),
      oldestMessageAgeSeconds: 10 * 86_400,
      now: NOW,
    });
    expect(warning).toMatch(
      /paused 24\.0 h and queued writes have waited up to 10\.0 days .* resume within 4\.0 days/,
    );
  });

  it('says writes are being dropped once the pause outlasts the retention', () => {
    expect(
      deliveryWarnings({
        state: 'Disabled',
        deployedState: 'paused',
        retentionSeconds: FOURTEEN_DAYS,
        lastModified: daysAgo(15),
        now: NOW,
      }),
    ).toEqual([
      expect.stringMatching(/past the delivery queue's retention \(14\.0 days\), SQS drops them undelivered/),
    ]);
  });

  it('never warns about retention while delivery runs', () => {
    expect(
      deliveryWarnings({
        state: 'Enabled',
        retentionSeconds: FOURTEEN_DAYS,
        oldestMessageAgeSeconds: 13 * 86_400,
        now: NOW,
      }),
    ).toEqual([]);
  });
});
