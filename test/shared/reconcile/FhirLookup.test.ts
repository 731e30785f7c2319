import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedResources,
  startFhirSourceStandin,
  type FhirStandin,
} from '../../../local/standins/healthlake/index.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import { FhirClient, type SearchPage, type SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { FhirLookup } from '../../../shared/reconcile/FhirLookup.js';

let server: FhirStandin;
beforeAll(async () => {
  server = await startFhirSourceStandin({ port: 0 });
  seedResources(
    server.store,
    Array.from({ length: 250 }, (_, i) => ({ resourceType: 'Patient' as const, id: `p${i}`, active: true })),
  );
});
afterAll(async () => {
  await server?.stop();
});

describe('FhirLookup', () => {
  it('reads ids and meta only where the server supports _elements', async () => {
    const lookup = new FhirLookup(new FhirClient({ baseUrl: server.endpoint }));
    const page = await lookup.page(lookup.firstPageUrl('Patient?', { elements: true, pageSize: 100 }));
    expect(page.resources).toHaveLength(100);
    expect(Object.keys(page.resources[0] ?? {}).sort()).toEqual(['id', 'meta', 'resourceType']);
    const found = await lookup.byIds('Patient', ['p1', 'p249', 'missing'], { elements: true });
    expect([...found.keys()].sort()).toEqual(['p1', 'p249']);
  });

  it('falls back to full pages, for good, once the server refuses _elements with 400', async () => {
    const urls: string[] = [];
    const refusing: typeof fetch = async (input, init) => {
      const url = String(input);
      urls.push(url);
      if (url.includes('_elements'))
        return new Response(JSON.stringify({ resourceType: 'OperationOutcome', issue: [] }), { status: 400 });
      return fetch(input, init);
    };
    const lookup = new FhirLookup(new FhirClient({ baseUrl: server.endpoint, fetch: refusing }));
    const first = await lookup.page(lookup.firstPageUrl('Patient?', { elements: true, pageSize: 50 }));
    expect(first.resources[0]).toHaveProperty('active', true);
    const ids = Array.from({ length: 150 }, (_, i) => `p${i}`);
    const found = await lookup.byIds('Patient', ids, { elements: true });
    expect(found.size).toBe(150);
    expect(urls.filter((url) => url.includes('_elements'))).toHaveLength(1);
  });
});

describe('FhirLookup over a scripted reader', () => {
  const scripted = (answer: (url: URL) => SearchPage | Promise<SearchPage>) => {
    const asked: URL[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const reader = {
      resolveSearchUrl: (query: string) => `https://source.example/fhir/${query}`,
      searchPage: async (url: string) => {
        const parsed = new URL(url);
        asked.push(parsed);
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return await answer(parsed);
        } finally {
          inFlight -= 1;
        }
      },
    } as unknown as SourceReader;
    return { reader, asked, mostInFlight: () => mostInFlight };
  };
  const idsOf = (url: URL) => (url.searchParams.get('_id') ?? '').split(',');

  it('looks ids up in chunks of 100, at most `concurrency` at a time, following next links, keeping only the type asked', async () => {
    const { reader, asked, mostInFlight } = scripted((url) => {
      const ids = idsOf(url);
      const resources = ids.map((id) => ({ resourceType: 'Patient', id }) as FhirResource);
      if (url.searchParams.has('page2')) return { resources: [{ resourceType: 'Patient', id: 'late' }] };
      return {
        resources: [
          ...resources,
          { resourceType: 'Observation', id: 'other-type' },
          { resourceType: 'Patient', id: 7 } as unknown as FhirResource,
        ],
        ...(ids[0] === 'p0' ? { nextUrl: `${url.href}&page2=1` } : {}),
      };
    });
    const ids = Array.from({ length: 201 }, (_, i) => `p${i}`);
    const found = await new FhirLookup(reader).byIds('Patient', ids, { elements: false, concurrency: 2 });
    expect(
      asked
        .filter((url) => !url.searchParams.has('page2'))
        .map((url) => idsOf(url).length)
        .sort((a, b) => a - b),
    ).toEqual([1, 100, 100]);
    expect(asked.map((url) => url.searchParams.get('_count')).sort()).toEqual(['1', '100', '100', '100']);
    expect(asked.every((url) => !url.searchParams.has('_elements'))).toBe(true);
    expect(mostInFlight()).toBe(2);
    expect(found.size).toBe(202);
    expect(found.has('late')).toBe(true);
    expect(found.has('other-type')).toBe(false);
    expect(found.get('p200')).toEqual({ resourceType: 'Patient', id: 'p200' });
  });

  it('asks nothing for no ids, and four chunks at a time by default', async () => {
    const { reader, asked, mostInFlight } = scripted(() => ({ resources: [] }));
    expect((await new FhirLookup(reader).byIds('Patient', [], { elements: true })).size).toBe(0);
    expect(asked).toEqual([]);
    const ids = Array.from({ length: 600 }, (_, i) => `p${i}`);
    await new FhirLookup(reader).byIds('Patient', ids, { elements: true });
    expect(asked).toHaveLength(6);
    expect(mostInFlight()).toBe(4);
    expect(asked.every((url) => url.searchParams.get('_elements') === 'id,meta')).toBe(true);
  });

  it('retries without _elements only on a 400 to a page that asked for them', async () => {
    const failWith = (error: Error) => scripted(() => Promise.reject(error));
    const page = 'https://source.example/fhir/Patient?_elements=id%2Cmeta';
    for (const error of [
      new PermanentSourceError('HTTP 403', 403),
      new TransientSourceError('HTTP 503', 503),
      new Error('socket hang up'),
    ]) {
      const { reader, asked } = failWith(error);
      await expect(new FhirLookup(reader).page(page)).rejects.toBe(error);
      expect(asked).toHaveLength(1);
    }
    const refused = new PermanentSourceError('HTTP 400', 400);
    const without = failWith(refused);
    await expect(new FhirLookup(without.reader).page('https://source.example/fhir/Patient')).rejects.toBe(
      refused,
    );
    expect(without.asked).toHaveLength(1);
  });
});
