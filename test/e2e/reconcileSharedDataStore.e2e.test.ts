import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalConnector } from '../../local/connector.js';
import { seedResources, type FhirStandin } from '../../local/standins/healthlake/index.js';
import type { FhirResource } from '../../shared/fhir/types.js';
import { api, replicatingSubscription, reportTotal, runReconcile, waitFor } from './e2eHelpers.js';
import { startConnectorsOnOneHealthLake, type SharedHealthLake } from './sharedHealthLake.js';

const TYPES = ['Organization', 'Patient', 'Observation'];

/** One source's data: the same numeric ids in both sources, with references between them. */
const sourceData = (system: string) => [
  { resourceType: 'Organization', id: '1', name: `${system} clinic` },
  { resourceType: 'Patient', id: '1', active: true, managingOrganization: { reference: 'Organization/1' } },
  { resourceType: 'Patient', id: '2', active: false },
  {
    resourceType: 'Observation',
    id: '1',
    status: 'final',
    code: { text: `${system} pulse` },
    subject: { reference: 'Patient/1' },
  },
];

/** `Type/id` -> versionId of every resource the stand-in holds whose id `keep` accepts. */
const versionsOf = (healthlake: FhirStandin, keep: (id: string) => boolean): Map<string, string> => {
  const found = new Map<string, string>();
  for (const type of healthlake.store.resourceTypes())
    for (const resource of healthlake.store.search(type, { _count: ['1000'] }).resources as FhirResource[])
      if (keep(resource.id as string))
        found.set(`${type}/${resource.id}`, (resource.meta as { versionId: string }).versionId);
  return found;
};

describe('Local mode: reconcile of one connector on a HealthLake data store shared with another', () => {
  let shared: SharedHealthLake;
  let healthlake: FhirStandin;

  beforeAll(async () => {
    shared = await startConnectorsOnOneHealthLake(['shared-1', 'shared-2'], {
      env: { RECONCILE_SOURCE_REQUESTS_PER_SECOND: '0', RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND: '0' },
    });
    healthlake = shared.healthlake;
  }, 60_000);

  afterAll(async () => {
    await shared?.stop();
  });

  it('compare, repair-and-prune and a second compare on connector 1 leave connector 2 untouched and end in sync', async () => {
    const [one, two] = shared.connectors as [LocalConnector, LocalConnector];
    const setups = [
      [one, 'CDR1-', '[a-zA-Z]+/[0-9]+', 'A'],
      [two, 'CDR2-', undefined, 'B'],
    ] as const;
    for (const [connector, prefix, selector, system] of setups) {
      const created = await api(
        connector,
        'PUT',
        'Subscription/replicate',
        replicatingSubscription('replicate', prefix, selector),
      );
      expect(created.status).toBe(201);
      seedResources(connector.source!.store, sourceData(system) as Parameters<typeof seedResources>[1]);
      const trigger = await api(connector, 'POST', 'Subscription/replicate/$trigger-subscription', {
        resourceType: 'Parameters',
        parameter: TYPES.map((type) => ({ name: 'searchUrl', valueString: `${type}?` })),
      });
      expect(trigger.status).toBe(202);
    }
    await waitFor(() => healthlake.store.count() === 8, {
      timeoutMs: 60_000,
      message: () => `HealthLake holds ${healthlake.store.count()} of 8`,
    });

    // Behind connector 1's back: one of its copies lost, an orphan of its own, and someone else's id.
    healthlake.store.delete('Patient', 'CDR1-2');
    healthlake.store.put({ resourceType: 'Patient', id: 'CDR1-99', active: true });
    healthlake.store.put({ resourceType: 'Patient', id: 'legacy', active: true });
    const untouchable = versionsOf(healthlake, (id) => !id.startsWith('CDR1-'));
    expect(untouchable.size).toBe(5);

    const scope = [
      { name: 'subscription', valueString: 'replicate' },
      ...TYPES.map((type) => ({ name: 'resourceType', valueCode: type })),
    ];
    const compare = await runReconcile(one, scope);
    expect(reportTotal(compare.report)).toMatchObject({
      inSync: 3,
      missing: 1,
      stale: 0,
      onlyInHealthLake: 1,
      outOfScope: 5,
    });

    const prune = await runReconcile(one, [
      ...scope,
      { name: 'mode', valueCode: 'repair-and-prune' },
      { name: 'pruneConfirmation', valueUnsignedInt: 1 },
      { name: 'compareJob', valueString: compare.jobId },
    ]);
    expect(reportTotal(prune.report)).toMatchObject({ repaired: 1, pruned: 1, unconfirmed: 0 });
    await waitFor(
      () => healthlake.current('Patient', 'CDR1-2') && !healthlake.current('Patient', 'CDR1-99'),
      { message: 'Patient/CDR1-2 back and Patient/CDR1-99 gone' },
    );

    const again = await runReconcile(one, scope);
    expect(reportTotal(again.report)).toMatchObject({
      inSync: 4,
      missing: 0,
      stale: 0,
      onlyInHealthLake: 0,
      pinned: 0,
      outOfScope: 5,
    });
    // Connector 2's resources (and the unowned one): all still there, at the same versions.
    expect(versionsOf(healthlake, (id) => !id.startsWith('CDR1-'))).toEqual(untouchable);
    expect(healthlake.current<{ name: string }>('Organization', 'CDR2-1')?.name).toBe('B clinic');
  });
});
