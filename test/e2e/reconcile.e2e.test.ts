import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { seedFromFolder, seedResources } from '../../local/standins/healthlake/index.js';
import type { FhirResource } from '../../shared/fhir/types.js';
import { contentHash } from '../../shared/ingest/contentHash.js';
import { hasSynthea, SYNTHEA_DIR, SYNTHEA_SKIP_MESSAGE } from '../helpers/synthea.js';
import { api, reportTotal, runReconcile, waitFor, type ReconcileReport } from './e2eHelpers.js';
import { runCli, type CliIo } from '../../bin/runCli.js';

const synthea = hasSynthea();
if (!synthea)
  console.warn(`${SYNTHEA_SKIP_MESSAGE}; test/e2e/reconcile.e2e.test.ts uses generated resources`);

type Report = ReconcileReport;
const total = reportTotal;
const samples = (report: Report, outcome: string): string[] =>
  report.parameter
    .filter((p) => p.name === 'sample' && p.part?.[0]?.valueCode === outcome)
    .map((p) => p.part?.[1]?.valueReference?.reference ?? '')
    .sort();

/** Generated stand-in for the Synthea set when the fixtures are absent. */
const generated = (): FhirResource[] =>
  Array.from({ length: 40 }, (_, index) => [
    { resourceType: 'Patient', id: `gen-p${index}`, active: true, gender: 'female' },
    {
      resourceType: 'Observation',
      id: `gen-o${index}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/gen-p${index}` },
    },
    {
      resourceType: 'Encounter',
      id: `gen-e${index}`,
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: `Patient/gen-p${index}` },
    },
    {
      resourceType: 'Condition',
      id: `gen-c${index}`,
      subject: { reference: `Patient/gen-p${index}` },
      code: { text: 'c' },
    },
  ]).flat() as FhirResource[];

describe('Reconcile end to end in local mode: compare, then repair-and-prune', () => {
  let connector: LocalConnector;
  let subscriptionId: string;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'warn',
      progress: 'off',
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
      env: { RECONCILE_SOURCE_REQUESTS_PER_SECOND: '0', RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND: '0' },
    });
    subscriptionId = connector.autoSubscriptionId!;
  }, 60_000);

  afterAll(async () => {
    await connector?.stop();
  });

  it('refuses POST $reconcile to the write-scoped producer token (403), as the ingest router fails closed', async () => {
    const producer = { apiUrl: connector.apiUrl, token: connector.writeToken };
    const refused = await api(producer, 'POST', '$reconcile', {
      resourceType: 'Parameters',
      parameter: [{ name: 'subscription', valueString: subscriptionId }],
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    expect((await api(producer, 'GET', '$reconcile-job/any')).status).toBe(403);
  });

  const cli = () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      isTTY: false,
      env: { HLC_API_URL: connector.apiUrl, HLC_TOKEN: connector.token },
    };
    return { io, out, err };
  };

  const runJob = (parameter: readonly object[]) => runReconcile(connector, parameter);

  it(
    'reports exactly the deleted, forged and orphaned resources, and repair-and-prune restores equality',
    { timeout: 600_000 },
    async () => {
      const source = connector.source!;
      const healthlake = connector.healthlake!;
      if (synthea) await seedFromFolder(source.store, SYNTHEA_DIR);
      else seedResources(source.store, generated() as Parameters<typeof seedResources>[1]);
      const types = source.store.resourceTypes().sort();
      const expected = source.store.count();

      // Deliver the set: a backfill of every type through the normal pipeline.
      const trigger = await api(connector, 'POST', `Subscription/${subscriptionId}/$trigger-subscription`, {
        resourceType: 'Parameters',
        parameter: types.map((type) => ({ name: 'searchUrl', valueString: `${type}?_count=500` })),
      });
      expect(trigger.status).toBe(202);
      await waitFor(() => healthlake.count() === expected, {
        timeoutMs: 420_000,
        intervalMs: 250,
        message: () => `HealthLake holds ${healthlake.count()} of ${expected}`,
      });

      // Behind the connector's back: deletions, a forged version, orphans.
      const idsOf = (type: string, count: number) =>
        healthlake.store.search(type, { _count: [String(count)] }).resources.map((r) => r.id as string);
      const deleted = [
        ...idsOf('Observation', 3).map((id) => `Observation/${id}`),
        ...idsOf('Encounter', 2).map((id) => `Encounter/${id}`),
      ];
      for (const key of deleted) healthlake.store.delete(...(key.split('/') as [string, string]));
      const [forgedId] = idsOf('Condition', 1) as [string];
      const original = source.store.current<FhirResource>('Condition', forgedId)!;
      const forged = {
        ...original,
        meta: { versionId: '999', tag: [{ system: 'urn:test', code: 'forged' }] },
      };
      expect((await api(connector, 'PUT', `Condition/${forgedId}`, forged)).status).toBe(200);
      await waitFor(
        () =>
          (healthlake.current<FhirResource>('Condition', forgedId)?.meta as { tag?: unknown[] })?.tag
            ?.length === 1,
        { message: 'the forged Condition delivered' },
      );
      const orphans = ['Patient/orphan-1', 'Patient/orphan-2', 'Observation/orphan-3'];
      healthlake.store.put({ resourceType: 'Patient', id: 'orphan-1', active: true });
      healthlake.store.put({ resourceType: 'Patient', id: 'orphan-2', active: false });
      healthlake.store.put({
        resourceType: 'Observation',
        id: 'orphan-3',
        status: 'final',
        code: { text: 'orphan' },
      });

      // Compare reports exactly those.
      const compare = await runJob([
        { name: 'subscription', valueReference: { reference: `Subscription/${subscriptionId}` } },
        { name: 'mode', valueCode: 'compare' },
      ]);
      expect(total(compare.report)).toEqual({
        inSync: expected - deleted.length - 1,
        missing: deleted.length,
        stale: 1,
        onlyInHealthLake: orphans.length,
        pinned: 1,
        repaired: 0,
        pinnedReset: 0,
        pruned: 0,
        invalidAtSource: 0,
        versionConflict: 0,
        unconfirmed: 0,
        outOfScope: 0,
      });
      expect(samples(compare.report, 'missing')).toEqual([...deleted].sort());
      expect(samples(compare.report, 'stale')).toEqual([`Condition/${forgedId}`]);
      expect(samples(compare.report, 'pinned')).toEqual([`Condition/${forgedId}`]);
      expect(samples(compare.report, 'onlyInHealthLake')).toEqual([...orphans].sort());

      // A wrong confirmation starts nothing.
      const refused = await api(connector, 'POST', '$reconcile', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'subscription', valueString: subscriptionId },
          { name: 'mode', valueCode: 'repair-and-prune' },
          { name: 'pruneConfirmation', valueUnsignedInt: orphans.length + 1 },
          { name: 'compareJob', valueString: compare.jobId },
        ],
      });
      expect(refused.status).toBe(409);

      // The operator's view of the compare, then the repair through the CLI.
      const report = cli();
      expect(await runCli(['reconcile', 'report', compare.jobId], report.io)).toBe(0);
      expect(report.out.join('\n')).toMatch(/only in HL/);
      expect(report.out.join('\n')).toMatch(
        new RegExp(
          `^total\\s+${expected - deleted.length - 1}\\s+${deleted.length}\\s+1\\s+${orphans.length}\\s+1\\s`,
          'm',
        ),
      );
      const run = cli();
      const code = await runCli(
        [
          'reconcile',
          'start',
          subscriptionId,
          '--mode',
          'repair-and-prune',
          '--confirm-prune',
          String(orphans.length),
          '--compare-job',
          compare.jobId,
          '--watch',
          '--interval',
          '1',
          '--json',
        ],
        run.io,
      );
      expect(run.err).toEqual([]);
      expect(code).toBe(0);
      const repairTotal = (JSON.parse(run.out.join('\n')) as { total: Record<string, number> }).total;
      expect(repairTotal).toMatchObject({
        missing: deleted.length,
        stale: 1,
        onlyInHealthLake: orphans.length,
        repaired: deleted.length + 1,
        pinnedReset: 1,
        pruned: orphans.length,
        invalidAtSource: 0,
      });

      // Equality, resource by resource.
      /** Every live resource of a type (the store caps a page at 1000). */
      const allOf = (store: typeof source.store, type: string): FhirResource[] => {
        const all: FhirResource[] = [];
        let cursor: string | undefined = '0';
        while (cursor !== undefined) {
          const page = store.search(type, { _count: ['1000'], _cursor: [cursor] });
          all.push(...(page.resources as FhirResource[]));
          cursor = page.next && 'cursor' in page.next ? page.next.cursor : undefined;
        }
        return all;
      };
      const differences = (): string[] => {
        const found: string[] = [];
        for (const type of new Set([...types, ...healthlake.store.resourceTypes()])) {
          const sourceAll = allOf(source.store, type);
          const copies = new Map(allOf(healthlake.store, type).map((r) => [r.id, r]));
          for (const resource of sourceAll) {
            const copy = copies.get(resource.id);
            if (!copy || contentHash(copy) !== contentHash(resource)) found.push(`${type}/${resource.id}`);
            copies.delete(resource.id);
          }
          for (const id of copies.keys()) found.push(`extra ${type}/${id}`);
        }
        return found;
      };
      await waitFor(() => differences().length === 0, {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: () => `differences remain: ${differences().slice(0, 10).join(', ')}`,
      });

      // And a new compare finds nothing left to do.
      const again = await runJob([{ name: 'subscription', valueString: subscriptionId }]);
      expect(total(again.report)).toMatchObject({
        inSync: expected,
        missing: 0,
        stale: 0,
        onlyInHealthLake: 0,
        pinned: 0,
      });
    },
  );
});
