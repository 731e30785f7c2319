import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { BackportNotifier } from '../../local/standins/backportNotifier.js';
import type { FhirStore } from '../../local/standins/healthlake/fhirStore.js';
import type { PayloadContent } from '../../shared/notifications/types.js';
import { backportFixture } from '../helpers/backportNotifications.js';
import { api, waitFor } from './e2eHelpers.js';

type Parameter = {
  name: string;
  valueString?: string;
  valueCode?: string;
  valueUnsignedInt?: number;
  valueBoolean?: boolean;
  part?: Parameter[];
};

const SOURCES = [
  {
    subscription: 'admissions',
    resourceTypes: ['Patient', 'Encounter', 'Observation'],
    heartbeatPeriodSeconds: 2,
  },
  { subscription: 'labs', resourceTypes: ['Observation'] },
  { subscription: 'census', resourceTypes: ['Patient'] },
];

const patient = (id: string, family: string): Resource & { id: string } => ({
  resourceType: 'Patient',
  id,
  active: true,
  name: [{ family }],
});
const encounter = (id: string, patientId: string): Resource & { id: string } => ({
  resourceType: 'Encounter',
  id,
  status: 'in-progress',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: `Patient/${patientId}` },
});
const observation = (id: string, value: number): Resource & { id: string } => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  valueQuantity: { value, unit: '/min' },
});

/** A resource without its meta: what must match between source and replica. */
const content = (resource: Resource | undefined): unknown => {
  if (!resource) return undefined;
  const { meta: _meta, ...rest } = resource;
  return rest;
};

/** Every live `Type/id` of a store, of the given types. */
const keysOf = (store: FhirStore, types: readonly string[]): string[] =>
  types
    .flatMap((type) =>
      (store.search(type, { _count: ['1000'] }).resources as Resource[]).map((r) => `${type}/${r.id}`),
    )
    .sort();

/** The source subscription states `$notification-status` reports, by subscription. */
const sourceStatus = async (connector: LocalConnector): Promise<Record<string, Record<string, unknown>>> => {
  const answer = await api(connector, 'GET', '$notification-status');
  expect(answer.status).toBe(200);
  const parameters = (answer.body as { parameter?: Parameter[] }).parameter ?? [];
  return Object.fromEntries(
    parameters.map((source) => {
      const fields = Object.fromEntries(
        (source.part ?? []).map((part) => [
          part.name,
          part.valueUnsignedInt ?? part.valueString ?? part.valueCode ?? part.valueBoolean,
        ]),
      );
      return [fields['subscription'] as string, fields];
    }),
  );
};

describe('Backport notifications end to end in local mode: a missed event and a silent source repair themselves', () => {
  let connector: LocalConnector;
  const notifiers: BackportNotifier[] = [];
  const notifier = (subscriptionId: string, payload: PayloadContent, heartbeatPeriodSeconds?: number) => {
    const created = new BackportNotifier({
      store: connector.source!.store,
      sourceBaseUrl: connector.source!.endpoint,
      endpoint: `${connector.apiUrl}/$subscription-notification`,
      token: connector.writeToken,
      subscriptionId,
      topic: `http://example.org/fhir/SubscriptionTopic/${subscriptionId}`,
      payload,
      ...(heartbeatPeriodSeconds === undefined ? {} : { heartbeatPeriodSeconds }),
    });
    notifiers.push(created);
    return created;
  };

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'warn',
      progress: 'off',
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
      notificationSources: JSON.stringify(SOURCES),
      notificationCheckSeconds: 1,
      notificationHeartbeatToleranceSeconds: 2,
      notificationGapGraceSeconds: 2,
    });
  }, 60_000);

  afterAll(async () => {
    for (const created of notifiers) created.stop();
    await connector?.stop();
  });

  /** Waits until HealthLake holds exactly what the source holds for `types`, resource by resource. */
  const waitForEquality = async (types: readonly string[]) => {
    const source = connector.source!.store;
    const healthlake = connector.healthlake!.store;
    await waitFor(
      () => {
        const keys = keysOf(source, types);
        if (keys.join() !== keysOf(healthlake, types).join()) return false;
        return keys.every((key) => {
          const [type = '', id = ''] = key.split('/');
          return (
            JSON.stringify(content(source.current(type, id))) ===
            JSON.stringify(content(healthlake.current(type, id)))
          );
        });
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: () =>
          `HealthLake to equal the source: ${keysOf(source, types).join(' ')} vs ${keysOf(healthlake, types).join(' ')}`,
      },
    );
  };

  it(
    'replicates full-resource notifications and deletes, catches up a skipped event and a silent source, and ends equal to the source',
    { timeout: 180_000 },
    async () => {
      const admissions = notifier('admissions', 'full-resource', 2);
      await admissions.start();
      await admissions.put(patient('p1', 'Chalmers'));
      await admissions.put(encounter('e1', 'p1'));
      await admissions.put(observation('o1', 72));
      await admissions.put(observation('o-gone', 80));
      await admissions.delete('Observation', 'o-gone');
      await waitForEquality(['Patient', 'Encounter', 'Observation']);

      // Event 6 is never sent; event 7 arrives: the gap is found and caught up from the source.
      admissions.skipNextEvent();
      await admissions.put(encounter('e2', 'p1'));
      await admissions.put(observation('o2', 75));
      await waitForEquality(['Patient', 'Encounter', 'Observation']);
      expect(connector.healthlake!.store.current('Encounter', 'e2')).toBeDefined();

      // The source goes silent and its changes meanwhile never reach the connector as notifications.
      admissions.pauseHeartbeats();
      admissions.skipNextEvent();
      await admissions.put(patient('p1', 'Chalmers-Smith'));
      admissions.skipNextEvent();
      await admissions.delete('Observation', 'o1');
      await waitFor(
        async () =>
          (((await sourceStatus(connector))['admissions']?.['heartbeatsMissed'] as number) ?? 0) >= 1,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
          message: 'the heartbeat check to find the silent source',
        },
      );
      admissions.resumeHeartbeats();
      await waitForEquality(['Patient', 'Encounter', 'Observation']);
      expect(connector.healthlake!.store.current('Observation', 'o1')).toBeUndefined();

      // Two gaps: event 6 (found by event 7), events 8 and 9 (found by the first heartbeat after the silence).
      const status = await waitFor(
        async () => {
          const state = (await sourceStatus(connector))['admissions'];
          return state && state['gapsRepaired'] === 2 ? state : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, message: 'both gap catch-up jobs to complete' },
      );
      expect(status).toMatchObject({ status: 'active', gapsFound: 2, eventsMissed: 3 });
      expect(status['lastEventNumber']).toBe(9);
      expect(admissions.sent.every((sent) => sent.status === 200)).toBe(true);
      expect(connector.stats.missedNotifications).toBeGreaterThanOrEqual(2);

      // hlc status prints the per-source line an operator reads (the admin token, as the CLI is given).
      const out: string[] = [];
      const code = await runCli(['status', '--api', connector.apiUrl], {
        out: (line) => out.push(line),
        err: () => undefined,
        isTTY: false,
        env: { HLC_TOKEN: connector.token },
      });
      expect(code).toBe(0);
      const line = out.find((text) => text.startsWith('source Subscription admissions:'));
      expect(line).toMatch(/^source Subscription admissions: active, last event 9 \(/);
      expect(line).toContain('gaps found 2 (3 events), repaired 2, heartbeats missed ');
      expect(out.some((text) => text.startsWith('source Subscription labs:'))).toBe(true);
    },
  );

  it(
    'reads id-only notifications from the source, and catches up empty ones',
    { timeout: 120_000 },
    async () => {
      const labs = notifier('labs', 'id-only');
      const census = notifier('census', 'empty');
      await labs.start();
      await census.start();
      await labs.put(observation('lab-1', 5.4));
      await labs.put(observation('lab-2', 6.1));
      await labs.delete('Observation', 'lab-1');
      await census.put(patient('c1', 'Census'));
      await census.put(patient('c2', 'Count'));
      await waitForEquality(['Patient', 'Observation']);
      expect(connector.healthlake!.store.current('Observation', 'lab-2')).toBeDefined();
      expect(connector.healthlake!.store.current('Patient', 'c2')).toBeDefined();
      expect([...labs.sent, ...census.sent].map((sent) => sent.status)).toEqual(Array(7).fill(200));
    },
  );

  it('refuses what is no notification it follows with an OperationOutcome, changing nothing', async () => {
    const producer = { apiUrl: connector.apiUrl, token: connector.writeToken };
    const before = await sourceStatus(connector);
    // A HAPI-shaped notification for a source Subscription the connector does not follow: 404.
    const stranger = backportFixture('hapi-full-resource-update') as {
      entry: { fullUrl?: string; resource: { parameter: Parameter[] } }[];
    };
    const subscription = stranger.entry[0]!.resource.parameter.find((p) => p.name === 'subscription')!;
    Object.assign(subscription, { valueReference: { reference: 'Subscription/stranger' } });
    for (const entry of stranger.entry) delete entry.fullUrl;
    const unknown = await api(producer, 'POST', '$subscription-notification', stranger);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    // The IG's example points at https://example.org, not the source server: 400, every URL located.
    const elsewhere = await api(
      producer,
      'POST',
      '$subscription-notification',
      backportFixture('full-resource'),
    );
    expect(elsewhere.status).toBe(400);
    const issues = (elsewhere.body as { issue: { code: string; expression: string[] }[] }).issue;
    expect(issues.map((issue) => [issue.code, ...issue.expression])).toEqual([
      ['security', 'Bundle.entry[0].resource.parameter[0].valueReference.reference'],
      ['security', 'Bundle.entry[0].resource.parameter[5].part[2].valueReference.reference'],
      ['security', 'Bundle.entry[1].fullUrl'],
    ]);
    // A transaction Bundle is no notification.
    const transaction = await api(producer, 'POST', '$subscription-notification', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [],
    });
    expect(transaction.status).toBe(400);
    expect(connector.healthlake!.store.current('Encounter', '42')).toBeUndefined();
    // No state was created for the stranger (heartbeats keep moving the others' times).
    expect(Object.keys(await sourceStatus(connector)).sort()).toEqual(Object.keys(before).sort());
    expect(Object.keys(before)).not.toContain('stranger');
    // The state of the source Subscriptions is for operators: the producer token may not read it.
    expect((await api(producer, 'GET', '$notification-status')).status).toBe(403);
  });
});
