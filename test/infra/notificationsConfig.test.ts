import { describe, expect, it } from 'vitest';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import { configProblemsOf, exampleConfigInput } from './connectorAppFixture.js';

const withNotifications = (notifications: unknown) => ({ ...exampleConfigInput(), notifications });

describe('Configuration: notifications', () => {
  it('defaults to following no source Subscription', () => {
    const config = parseConnectorConfig(exampleConfigInput(), 'test');
    expect(config.notifications).toEqual({
      sources: [],
      catchUpMarginSeconds: 300,
      gapGraceSeconds: 30,
      checkIntervalMinutes: 1,
    });
  });

  it('lists every problem of the sources at once, naming where, never quoting a value', () => {
    const problems = configProblemsOf(
      withNotifications({
        sources: [
          { subscription: '../etc', resourceTypes: ['http:'], heartbeatPeriodSeconds: 0, events: 'yes' },
          { subscription: 'a', unknown: true },
          { subscription: 'a' },
        ],
        allowedOrigins: ['ftp://source.example'],
        gapGraceSeconds: 7200,
        checkIntervalMinutes: 0,
      }),
    );
    const joined = problems.join('\n');
    for (const where of [
      'notifications.sources.0.subscription',
      'notifications.sources.0.resourceTypes.0',
      'notifications.sources.0.heartbeatPeriodSeconds',
      'notifications.sources.0.events',
      'notifications.sources.1: unknown option',
      'notifications.allowedOrigins.0',
      'notifications.gapGraceSeconds',
      'notifications.checkIntervalMinutes',
    ]) {
      expect(joined).toContain(where);
    }
    expect(joined).not.toContain('../etc');
    expect(joined).not.toContain('ftp://');
  });

  it('refuses a source Subscription listed twice', () => {
    expect(
      configProblemsOf(withNotifications({ sources: [{ subscription: 'a' }, { subscription: 'a' }] })),
    ).toEqual(['notifications.sources: lists a source Subscription twice']);
  });
});
