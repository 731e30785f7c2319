import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import type { FhirStandin } from '../../local/standins/healthlake/index.js';
import { FhirApiClient } from '../../shared/operator/FhirApiClient.js';
import { sendResources } from '../../shared/operator/sendResources.js';
import { hasSynthea, SYNTHEA_DIR, SYNTHEA_SKIP_MESSAGE } from '../helpers/synthea.js';
import { api, referencesOf, replicatingSubscription as replicating, waitFor } from './e2eHelpers.js';
import { startConnectorsOnOneHealthLake, type SharedHealthLake } from './sharedHealthLake.js';

/** One source's data: numeric ids, the same in both sources, with references between them. */
const sourceData = (system: string) => [
  { resourceType: 'Organization', id: '1', name: `${system} clinic` },
  { resourceType: 'Patient', id: '1', active: true, managingOrganization: { reference: 'Organization/1' } },
  {
    resourceType: 'Observation',
    id: '1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/1' },
    performer: [{ reference: 'Organization/1' }],
    extension: [
      {
        url: 'http://example.org/fhir/StructureDefinition/seen-by',
        valueReference: { reference: 'Patient/1' },
      },
    ],
  },
  {
    resourceType: 'Patient',
    id: 'named',
    active: true,
    link: [{ other: { reference: 'Patient/1' }, type: 'seealso' }],
  },
];

/** Every `Type/id` reference held by the resources in `healthlake` that does not resolve there. */
const unresolved = (healthlake: FhirStandin): string[] => {
  const missing: string[] = [];
  for (const type of healthlake.store.resourceTypes()) {
    for (const resource of healthlake.store.search(type, { _count: ['100000'] }).resources as Resource[]) {
      for (const reference of referencesOf(resource)) {
        if (reference.startsWith('#')) continue;
        const [refType = '', refId = ''] = reference.split('/');
        if (!healthlake.current(refType, refId)) missing.push(`${type}/${resource.id} -> ${reference}`);
      }
    }
  }
  return missing;
};

describe('Local mode: two sources with overlapping ids replicate into one HealthLake under two prefixes', () => {
  let shared: SharedHealthLake;
  let healthlake: FhirStandin;

  beforeAll(async () => {
    shared = await startConnectorsOnOneHealthLake(['source-a', 'source-b']);
    healthlake = shared.healthlake;
  }, 60_000);

  afterAll(async () => {
    await shared?.stop();
  });

  it('lands both copies without collision, every reference resolving, and deletes the prefixed id', async () => {
    const [a, b] = shared.connectors as [LocalConnector, LocalConnector];
    for (const [connector, prefix] of [
      [a, 'CDR1-'],
      [b, 'CDR2-'],
    ] as const) {
      // Without channel.endpoint: the deployment's primary data store (the shared stand-in).
      const created = await api(
        connector,
        'PUT',
        'Subscription/replicate',
        replicating('replicate', prefix, '[a-zA-Z]+/[0-9]+'),
      );
      expect(created.status).toBe(201);
      expect((created.body as { status?: string }).status).toBe('active');
    }
    for (const [connector, system] of [
      [a, 'A'],
      [b, 'B'],
    ] as const) {
      for (const resource of sourceData(system)) {
        const put = await api(connector, 'PUT', `${resource.resourceType}/${resource.id}`, resource);
        expect(put.status).toBe(200);
      }
    }
    const expected = ['CDR1-', 'CDR2-'].flatMap((prefix) =>
      ['Organization', 'Patient', 'Observation'].map((type) => `${type}/${prefix}1`),
    );
    await waitFor(
      () => expected.every((key) => healthlake.current(...(key.split('/') as [string, string]))),
      {
        timeoutMs: 30_000,
        message: () => `all of ${expected.join(', ')} in the HealthLake stand-in`,
      },
    );
    expect(healthlake.current<{ name: string }>('Organization', 'CDR1-1')?.name).toBe('A clinic');
    expect(healthlake.current<{ name: string }>('Organization', 'CDR2-1')?.name).toBe('B clinic');
    expect(healthlake.current('Patient', '1')).toBeUndefined();
    // Non-numeric ids are outside the selector: both sources wrote Patient/named (the later one wins).
    await waitFor(() => healthlake.current('Patient', 'named'), { message: 'Patient/named' });
    expect(
      healthlake.current<{ link: { other: { reference: string } }[] }>('Patient', 'named')?.link[0]?.other
        .reference,
    ).toMatch(/^Patient\/CDR[12]-1$/);
    const observation = healthlake.current<{
      subject: { reference: string };
      extension: { valueReference: { reference: string } }[];
    }>('Observation', 'CDR2-1');
    expect(observation?.subject.reference).toBe('Patient/CDR2-1');
    expect(observation?.extension[0]?.valueReference.reference).toBe('Patient/CDR2-1');
    expect(unresolved(healthlake)).toEqual([]);

    expect((await api(a, 'DELETE', 'Observation/1')).status).toBe(204);
    await waitFor(() => healthlake.current('Observation', 'CDR1-1') === undefined, {
      message: 'Observation/CDR1-1 deleted',
    });
    expect(healthlake.current('Observation', 'CDR2-1')).toBeDefined();
  });
});

const synthea = hasSynthea();
if (!synthea) console.warn(`${SYNTHEA_SKIP_MESSAGE} (test/e2e/replication.e2e.test.ts)`);

describe.skipIf(!synthea)('Local mode: Synthea Bundles replicated under an id prefix', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      autoSubscription: false,
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await connector?.stop();
  });

  it('keeps every reference resolvable inside the HealthLake stand-in', { timeout: 240_000 }, async () => {
    const healthlake = connector.healthlake!;
    expect((await api(connector, 'PUT', 'Subscription/synthea', replicating('synthea', 'SYN-'))).status).toBe(
      201,
    );
    const files = readdirSync(SYNTHEA_DIR)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .slice(0, 3)
      .map((name) => join(SYNTHEA_DIR, name));
    const expected = files
      .map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { entry?: unknown[] }).entry?.length ?? 0)
      .reduce((sum, count) => sum + count, 0);
    const summary = await sendResources(
      new FhirApiClient({ baseUrl: connector.apiUrl, token: connector.token }),
      files,
      {
        parallel: 2,
      },
    );
    expect(summary.failed).toBe(0);
    await waitFor(() => healthlake.store.count() === expected, {
      timeoutMs: 180_000,
      intervalMs: 250,
      message: () => `HealthLake holds ${healthlake.store.count()} of ${expected}`,
    });
    const patients = healthlake.store.search('Patient', { _count: ['100000'] }).resources;
    expect(patients.length).toBeGreaterThan(0);
    expect(patients.every((patient) => patient.id?.startsWith('SYN-'))).toBe(true);
    expect(unresolved(healthlake)).toEqual([]);
  });
});
