import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirStandin } from '../../../../local/standins/healthlake/index.js';
import {
  FhirStore,
  seedFromFolder,
  seedResources,
  startFhirSourceStandin,
} from '../../../../local/standins/healthlake/index.js';
import { SYNTHEA_DIR, SYNTHEA_SKIP_MESSAGE, hasSynthea } from '../../../helpers/synthea.js';

const observation = (n: number): Observation => ({
  resourceType: 'Observation',
  id: `obs-${n}`,
  meta: { versionId: String((n % 3) + 1), lastUpdated: '2024-01-01T00:00:00.000Z' },
  status: n % 4 === 0 ? 'preliminary' : 'final',
  code: { coding: [{ system: 'http://loinc.org', code: n % 2 === 0 ? '1234-5' : '9999-9' }] },
});

const getJson = async <T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> => {
  const response = await fetch(url, { headers: { accept: 'application/fhir+json', ...headers } });
  return { status: response.status, body: (await response.json()) as T };
};

/** Follows `next` links from `url`, returning every resource and the number of pages. */
const readAllPages = async (url: string) => {
  const resources: Resource[] = [];
  let next: string | undefined = url;
  let pages = 0;
  let total: number | undefined;
  while (next) {
    const { status, body }: { status: number; body: Bundle } = await getJson<Bundle>(next);
    expect(status).toBe(200);
    pages += 1;
    total ??= body.total;
    resources.push(...(body.entry ?? []).map((entry) => entry.resource as Resource));
    next = body.link?.find((link) => link.relation === 'next')?.url;
  }
  return { resources, pages, total };
};

describe('FHIR source server stand-in', () => {
  let source: FhirStandin;

  beforeAll(async () => {
    source = await startFhirSourceStandin();
    seedResources(
      source.store,
      Array.from({ length: 250 }, (_, n) => observation(n)),
    );
  });

  afterAll(async () => {
    await source?.stop();
  });

  it('keeps the seeded versionIds', async () => {
    const { body } = await getJson<Observation>(`${source.endpoint}Observation/obs-4`);
    expect(body.meta?.versionId).toBe('2');
    expect(source.count('Observation')).toBe(250);
  });

  it('pages through every match of a search with _count, following next links', async () => {
    const { resources, pages, total } = await readAllPages(
      `${source.endpoint}Observation?code=http://loinc.org|1234-5&status=final&_count=20&_total=accurate`,
    );
    const expected = Array.from({ length: 250 }, (_, n) => n)
      .filter((n) => n % 2 === 0 && n % 4 !== 0)
      .map((n) => `obs-${n}`);
    expect(resources.map((resource) => resource.id)).toEqual(expected);
    expect(total).toBe(expected.length);
    expect(pages).toBe(Math.ceil(expected.length / 20));
  });

  it('pages through a type without filters', async () => {
    const { resources, total } = await readAllPages(`${source.endpoint}Observation?_count=100`);
    expect(resources).toHaveLength(250);
    expect(new Set(resources.map((resource) => resource.id)).size).toBe(250);
    expect(total).toBe(250);
  });

  it('fails a page twice, then serves it', async () => {
    source.faults.failNext({ method: 'GET', urlIncludes: '_cursor=' }, 'server-error', 2);
    const first = await getJson<Bundle>(`${source.endpoint}Observation?_count=100`);
    const nextUrl = first.body.link?.find((link) => link.relation === 'next')?.url ?? '';
    expect((await fetch(nextUrl)).status).toBe(500);
    expect((await fetch(nextUrl)).status).toBe(500);
    const third = await getJson<Bundle>(nextUrl);
    expect(third.status).toBe(200);
    expect(third.body.entry).toHaveLength(100);
  });

  it('rejects unknown search parameters instead of ignoring them', async () => {
    const { status, body } = await getJson<{ issue: { code: string }[] }>(
      `${source.endpoint}Observation?not-a-param=1`,
    );
    expect(status).toBe(400);
    expect(body.issue[0]?.code).toBe('invalid');
  });

  it('supports _sort with offset paging', async () => {
    const { resources } = await readAllPages(`${source.endpoint}Observation?_sort=-_id&_count=100`);
    const ids = resources.map((resource) => resource.id ?? '');
    expect(ids).toHaveLength(250);
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it('requires the bearer token when configured', async () => {
    const guarded = await startFhirSourceStandin({ auth: { bearer: 'secret-token' }, store: source.store });
    try {
      expect((await fetch(`${guarded.endpoint}Observation/obs-1`)).status).toBe(401);
      const ok = await getJson<Observation>(`${guarded.endpoint}Observation/obs-1`, {
        authorization: 'Bearer secret-token',
      });
      expect(ok.status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});

describe('Seeding', () => {
  it('loads transaction Bundles and NDJSON from a folder, resolving urn:uuid references', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'hlc-seed-'));
    try {
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:0f7e0c1e-0000-4000-8000-000000000001',
            resource: { resourceType: 'Patient', id: '0f7e0c1e-0000-4000-8000-000000000001' },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: 'urn:uuid:0f7e0c1e-0000-4000-8000-000000000002',
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'x' },
              subject: { reference: 'urn:uuid:0f7e0c1e-0000-4000-8000-000000000001' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      await writeFile(join(folder, 'a.json'), JSON.stringify(bundle));
      await writeFile(
        join(folder, 'b.ndjson'),
        `${JSON.stringify({ resourceType: 'Patient', id: 'nd-1', meta: { versionId: '5' } })}\n` +
          `${JSON.stringify({ resourceType: 'Patient', id: 'nd-2' })}\n`,
      );
      const store = new FhirStore();
      const result = await seedFromFolder(store, folder);
      expect(result).toEqual({ written: 4, unchanged: 0, byType: { Patient: 3, Observation: 1 } });
      expect(
        store.current<Observation>('Observation', '0f7e0c1e-0000-4000-8000-000000000002')?.subject,
      ).toEqual({
        reference: 'Patient/0f7e0c1e-0000-4000-8000-000000000001',
      });
      expect(store.current('Patient', 'nd-1')?.meta?.versionId).toBe('5');
      expect(store.current('Patient', 'nd-2')?.meta?.versionId).toBe('1');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  if (!hasSynthea()) console.warn(SYNTHEA_SKIP_MESSAGE);
  it.skipIf(!hasSynthea())('loads the Synthea sample Bundles with every reference resolved', async () => {
    const store = new FhirStore();
    const result = await seedFromFolder(store, SYNTHEA_DIR);
    expect(result.written).toBeGreaterThan(7000);
    expect(store.count()).toBe(result.written);
    expect(store.count('Patient')).toBe(25);
    const page = store.search('Observation', { _count: ['1000'] });
    const text = JSON.stringify(page.resources);
    expect(text).not.toContain('urn:uuid:');
  });
});
