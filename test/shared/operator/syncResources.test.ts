import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedResources,
  startFhirSourceStandin,
  type FhirStandin,
} from '../../../local/standins/healthlake/index.js';
import { FhirApiClient } from '../../../shared/operator/FhirApiClient.js';
import { syncResources } from '../../../shared/operator/syncResources.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../fhirClient/fakeHttpServer.js';

let ingest: FakeHttpServer;
let source: FhirStandin;
let client: FhirApiClient;

beforeAll(async () => {
  ingest = await startFakeHttpServer((request, _body, response) =>
    request.url === '/'
      ? json(response, 200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] })
      : json(response, 200, {}),
  );
  client = new FhirApiClient({ baseUrl: ingest.url, token: 't' });
  source = await startFhirSourceStandin({ port: 0 });
  seedResources(source.store, [
    { resourceType: 'Patient', id: '123', active: true },
    { resourceType: 'Patient', id: 'abc', active: true },
    {
      resourceType: 'Observation',
      id: '7',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/123' },
    },
  ]);
});
afterAll(async () => {
  await Promise.all([ingest?.stop(), source?.stop()]);
});

const sent = () =>
  ingest.requests.splice(0).map((r) => ({ method: r.method, url: r.url, body: JSON.parse(r.body || '{}') }));

describe('syncResources', () => {
  it('copies a FHIR server type by type in order, prefixing numeric ids and the references to them', async () => {
    const summary = await syncResources(client, [source.endpoint], {
      resourceTypes: ['Patient', 'Observation'],
      prefixNumericIds: 'SRC',
    });
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    const requests = sent();
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /Patient/SRC123',
      'PUT /Patient/abc',
      'PUT /Observation/SRC7',
    ]);
    expect(requests[2]?.body.subject).toEqual({ reference: 'Patient/SRC123' });
    expect(requests[0]?.body.id).toBe('SRC123');
  });

  it('copies selected resource ids', async () => {
    await syncResources(client, [source.endpoint], { resourceIds: ['Patient/abc'] });
    expect(sent().map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /Patient/abc']);
  });

  it('in Synthea mode sends the hospital and practitioner Bundles first and resolves their ifNoneExist entries', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'hlc-sync-'));
    const orgUrl = 'urn:uuid:11111111-1111-1111-1111-111111111111';
    writeFileSync(
      join(folder, 'Alice_1.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:22222222-2222-2222-2222-222222222222',
            resource: {
              resourceType: 'Patient',
              managingOrganization: {
                reference: 'Organization?identifier=https://github.com/synthetichealth/synthea|org-1',
              },
            },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      }),
    );
    writeFileSync(
      join(folder, 'hospitalInformation1.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: orgUrl,
            resource: { resourceType: 'Organization', name: 'Hospital' },
            request: {
              method: 'POST',
              url: 'Organization',
              ifNoneExist: 'identifier=https://github.com/synthetichealth/synthea|org-1',
            },
          },
        ],
      }),
    );
    await syncResources(client, [folder], { synthea: true });
    const [hospital, patient] = sent();
    expect(hospital?.body.entry[0].request).toEqual({
      method: 'PUT',
      url: 'Organization/11111111-1111-1111-1111-111111111111',
    });
    expect(patient?.body.entry[0].resource.managingOrganization).toEqual({
      reference: 'Organization/11111111-1111-1111-1111-111111111111',
    });
  });
});

describe('syncResources on a large source (smileutil read everything first)', () => {
  it('streams page by page: with every write held, it reads no further than the pages its senders hold', async () => {
    const big = await startFhirSourceStandin({ port: 0 });
    seedResources(
      big.store,
      Array.from({ length: 2_000 }, (_, index) => ({
        resourceType: 'Patient' as const,
        id: `big-${index}`,
        active: true,
      })),
    );
    // An ingest API that holds every write until released: the senders stay busy.
    const held: (() => void)[] = [];
    let holding = true;
    const slow = await startFakeHttpServer((_request, _body, response) => {
      if (holding) held.push(() => json(response, 200, {}));
      else json(response, 200, {});
    });
    try {
      const sync = syncResources(new FhirApiClient({ baseUrl: slow.url, token: 't' }), [big.endpoint], {
        resourceTypes: ['Patient'],
        parallel: 4,
        sourceClient: { pageSize: 50, requestsPerSecond: 0 },
      });
      const pageReads = () =>
        big.requests.filter((request) => request.method === 'GET' && request.path === 'Patient').length;
      await big.waitForRequests(() => held.length === 4);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // 40 pages exist; reading on while the senders wait would mean holding the source in memory.
      expect(held).toHaveLength(4);
      expect(pageReads()).toBeLessThanOrEqual(2);
      holding = false;
      held.splice(0).forEach((answer) => answer());
      expect(await sync).toMatchObject({ succeeded: 2_000, failed: 0 });
      expect(pageReads()).toBe(40);
    } finally {
      holding = false;
      held.splice(0).forEach((answer) => answer());
      await Promise.all([slow.stop(), big.stop()]);
    }
  }, 60_000);
});

describe('syncResources on a source that lies', () => {
  const nested = (levels: number): Record<string, unknown> =>
    levels === 0 ? { end: true } : { next: nested(levels - 1) };
  const match = (resource: Record<string, unknown>) => ({ resource, search: { mode: 'match' } });

  it('sends only what is an R4 resource of the type searched with a FHIR id, and names each refusal without content', async () => {
    const liar = await startFakeHttpServer((request, _body, response) =>
      request.url?.startsWith('/Patient')
        ? json(response, 200, {
            resourceType: 'Bundle',
            type: 'searchset',
            entry: [
              match({ resourceType: 'http:', id: '/evil.example:8080/stolen' }),
              match({ resourceType: 'Observation', id: 'o1', status: 'final' }),
              match({ resourceType: 'Patient', id: 'bad id!' }),
              match({ resourceType: 'Patient', id: 'deep', extension: nested(120) }),
              match({ resourceType: 'Patient', id: 'polluted', ['__proto__']: { admin: true } }),
              match({ resourceType: 'Patient', id: '1'.repeat(64) }),
              match({ resourceType: 'Patient', id: 'ok', name: [{ family: 'Doe' }] }),
            ],
          })
        : json(response, 404, {}),
    );
    try {
      const summary = await syncResources(client, [liar.url], {
        resourceTypes: ['Patient'],
        prefixNumericIds: 'SRC',
      });
      expect(sent().map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /Patient/ok']);
      expect(summary).toMatchObject({ succeeded: 1, failed: 6 });
      expect(summary.failures).toEqual([
        {
          source: '(resource without an R4 type)',
          status: 0,
          diagnostics: 'resourceType is not an R4 resource type',
        },
        {
          source: 'Observation/o1',
          status: 0,
          diagnostics: 'a Patient search answered a resource of another type',
        },
        { source: 'Patient/(invalid id)', status: 0, diagnostics: 'Patient id is not a FHIR id' },
        { source: 'Patient/deep', status: 0, diagnostics: 'nested deeper than 100 levels' },
        {
          source: 'Patient/polluted',
          status: 0,
          diagnostics: 'holds a __proto__, constructor or prototype key',
        },
        {
          source: `Patient/${'1'.repeat(64)}`,
          status: 0,
          diagnostics: expect.stringMatching(/ after --prefix-numeric-ids$/),
        },
      ]);
      expect(JSON.stringify(summary)).not.toContain('Doe');
    } finally {
      await liar.stop();
    }
  });
});
