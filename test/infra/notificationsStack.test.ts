import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../infra/stacks/HealthLakeConnectorStack.js';
import { NOTIFICATION_ENV } from '../../shared/notificationIntake/constants.js';
import { FUNCTION_TABLE_STORES, tableActionsOf } from '../../shared/state/tableActions.js';
import { buildTestApp } from './connectorAppFixture.js';
import { actionsOf, identityStatements, resourcesOf } from './templateQueries.js';

const SOURCES = [{ subscription: 'admissions', resourceTypes: ['Encounter'], heartbeatPeriodSeconds: 60 }];

const build = (withSources: boolean) => {
  const { app, built } = buildTestApp(
    withSources ? { notifications: { sources: SOURCES, checkIntervalMinutes: 5 } } : {},
    { bundle: false },
  );
  return {
    template: Template.fromStack(built.connector),
    cleanup: () => rmSync(app.outdir, { recursive: true, force: true }),
  };
};

// One synthesis per mode, before the tests (a loaded machine can take half a minute for each).
let off: ReturnType<typeof build>;
let on: ReturnType<typeof build>;
beforeAll(() => {
  off = build(false);
  on = build(true);
}, 240_000);
afterAll(() => {
  off?.cleanup();
  on?.cleanup();
});

const alarmIds = (template: Template) =>
  Object.keys(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter((id) =>
    id.includes('MissedNotifications'),
  );

const checkFunction = (template: Template) =>
  Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(([id]) =>
    id.startsWith('NotificationCheck'),
  );

describe('Backport notifications infrastructure', () => {
  it('deploys no heartbeat check and no MissedNotifications alarm while no source Subscription is listed', () => {
    expect(checkFunction(off.template)).toBeUndefined();
    expect(alarmIds(off.template)).toEqual([]);
  });

  it('runs the heartbeat check on its schedule with the sources, and alarms on missed notifications from ingest and the check', () => {
    const found = checkFunction(on.template);
    expect(found).toBeDefined();
    const [logicalId, fn] = found!;
    const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(variables[NOTIFICATION_ENV.sources] as string)).toEqual([
      { ...SOURCES[0], events: false },
    ]);
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe(SERVICE_NAMES.notificationCheck);
    const rules = Object.values(resourcesOf(on.template, 'AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties?.Targets).includes(logicalId),
    );
    expect(rules.map((rule) => rule.Properties?.ScheduleExpression)).toEqual(['rate(5 minutes)']);

    const [alarmId] = alarmIds(on.template);
    const alarm = JSON.stringify(resourcesOf(on.template, 'AWS::CloudWatch::Alarm')[alarmId ?? '']);
    expect(alarm).toContain('"MetricName":"MissedNotifications"');
    expect(alarm).toContain(`"Value":"${SERVICE_NAMES.ingest}"`);
    expect(alarm).toContain(`"Value":"${SERVICE_NAMES.notificationCheck}"`);
  });

  it("grants the heartbeat check only its stores' table actions", () => {
    const statements = identityStatements(on.template).filter(({ policyId }) =>
      policyId.startsWith('NotificationCheck'),
    );
    const tableActions = statements
      .flatMap(({ statement }) => actionsOf(statement))
      .filter((action) => action.startsWith('dynamodb:'));
    expect(new Set(tableActions)).toEqual(new Set(tableActionsOf(FUNCTION_TABLE_STORES.notificationCheck)));
  });
});
