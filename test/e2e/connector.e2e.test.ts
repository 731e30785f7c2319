import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { seedResources } from '../../local/standins/healthlake/index.js';
import { api, referencesOf, responseLocations, syntheticTransaction, waitFor } from './e2eHelpers.js';

const capture = (connector: LocalConnector) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    isTTY: false,
    env: { HLC_API_URL: connector.apiUrl, HLC_TOKEN: connector.token },
  };
  return { io, out, err, text: () => out.join('\n') };
};

describe('Local mode end to end: ingest API -> SQS -> deliverer -> HealthLake stand-in', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'warn',
      progress: 'off',
      unsupportedTypes: ['Goal'],
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
  });

  afterAll(async () => {
    await connector?.stop();
  });

  const healthlake = () => {
    if (!connector.healthlake) throw new Error('no HealthLake stand-in');
    return connector.healthlake;
  };

  it('replicates a transaction Bundle with urn:uuid references rewritten consistently, dropping unsupported types', async () => {
    const bundle = syntheticTransaction('tx1', 3, 3);
    const response = await api(connector, 'POST', '', bundle);
    expect(response.status).toBe(200);
    const locations = responseLocations(response.body);
    expect(locations).toHaveLength(18);
    const expected = locations.filter((key) => !key.startsWith('Goal/'));
    await waitFor(
      () =>
        expected.every((key) => healthlake().current(...(key.split('/') as [string, string])) !== undefined),
      { message: () => `HealthLake holds ${healthlake().count()} of ${expected.length}` },
    );
    for (const key of expected) {
      const [type, id] = key.split('/') as [string, string];
      for (const reference of referencesOf(healthlake().current(type, id))) {
        expect(reference).toMatch(/^(Patient|Encounter)\/[A-Za-z0-9\-.]+$/);
        expect(locations).toContain(reference);
        expect(healthlake().current(...(reference.split('/') as [string, string]))).toBeDefined();
      }
    }
    await waitFor(() => connector.stats.notSupported >= 3, {
      message: 'three Goals dropped as not-supported',
    });
    expect(healthlake().count('Goal')).toBe(0);
    expect(connector.stats.deadLettered).toBe(0);
  });

  it('ends at the latest version after quick successive updates, and replicates deletes', async () => {
    for (let version = 1; version <= 5; version += 1) {
      const put = await api(connector, 'PUT', 'Patient/updated-1', {
        resourceType: 'Patient',
        id: 'updated-1',
        birthDate: `200${version}-01-01`,
      });
      expect(put.status).toBeLessThan(300);
    }
    await waitFor(
      () => healthlake().current<{ birthDate?: string }>('Patient', 'updated-1')?.birthDate === '2005-01-01',
      {
        message: 'Patient/updated-1 at its 5th version',
      },
    );
    await api(connector, 'PUT', 'Observation/deleted-1', {
      resourceType: 'Observation',
      id: 'deleted-1',
      status: 'final',
      code: { text: 'x' },
    });
    await waitFor(() => healthlake().current('Observation', 'deleted-1'), { message: 'Observation created' });
    expect((await api(connector, 'DELETE', 'Observation/deleted-1')).status).toBeLessThan(300);
    await waitFor(() => healthlake().current('Observation', 'deleted-1') === undefined, {
      message: 'Observation/deleted-1 deleted in HealthLake',
    });
  });

  it('lets the operator CLI list subscriptions and show status with local delivery counts', async () => {
    const subscriptions = capture(connector);
    expect(await runCli(['subscriptions', 'list'], subscriptions.io)).toBe(0);
    expect(subscriptions.text()).toContain(`${connector.autoSubscriptionId}  active  [*]`);
    const status = capture(connector);
    expect(await runCli(['status'], status.io)).toBe(0);
    expect(status.text()).toMatch(/delivery-dlq\s+0/);
    expect(status.text()).toMatch(/ingested \d+, delivered \d+/);
  });

  it('backfills from the source FHIR server with $trigger-subscription, watched to completion by the CLI', async () => {
    const source = connector.source;
    if (!source) throw new Error('no source stand-in');
    seedResources(
      source.store,
      Array.from({ length: 25 }, (_, index) => ({
        resourceType: 'Condition' as const,
        id: `backfill-${index}`,
        subject: { reference: 'Patient/updated-1' },
        code: { text: 'condition' },
      })),
    );
    const run = capture(connector);
    const code = await runCli(
      [
        'backfill',
        'start',
        connector.autoSubscriptionId ?? '',
        '--search-url',
        'Condition?_count=10',
        '--watch',
        '--interval',
        '1',
        '--timeout',
        '60',
      ],
      run.io,
    );
    expect(run.err).toEqual([]);
    expect(code).toBe(0);
    expect(run.text()).toMatch(/completed {2}read 25/);
    await waitFor(() => healthlake().count('Condition') === 25, {
      message: () => `HealthLake holds ${healthlake().count('Condition')} of 25 backfilled Conditions`,
    });
  });
});
