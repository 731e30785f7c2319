import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedResources,
  startFhirSourceStandin,
  type FhirStandin,
} from '../../../local/standins/healthlake/index.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
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
