import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, FhirApiClient } from '../../../shared/operator/FhirApiClient.js';
import { syncResources } from '../../../shared/operator/syncResources.js';

/** A client that answers `status` to everything and records each request. */
const recordingClient = (status = 200) => {
  const calls: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const client = {
    request: async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
      calls.push({ method, path, body: body as Record<string, unknown> });
      return { status, headers: new Headers() };
    },
  } as unknown as FhirApiClient;
  return { client, calls };
};

let dir: string;
const write = (name: string, value: unknown) =>
  writeFile(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlc-sync-'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'synthea'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('syncResources from files', () => {
  it('prefixes numeric ids and the relative, absolute and versioned references to them, and nothing else', async () => {
    await write('data/obs.json', {
      resourceType: 'Observation',
      id: '12',
      subject: { reference: 'Patient/7' },
      performer: [
        { reference: 'https://src/fhir/Practitioner/8/_history/2' },
        { reference: 'Practitioner/abc' },
        { reference: 'patient/9' },
        { reference: '#c1' },
        { reference: '7' },
      ],
      contained: [{ resourceType: 'Organization', id: '3' }],
      code: { coding: [{ id: '5', code: 'x' }] },
    });
    const { client, calls } = recordingClient();
    const summary = await syncResources(client, [join(dir, 'data/obs.json')], { prefixNumericIds: 'S-' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe('Observation/S-12');
    expect(calls[0]?.body).toMatchObject({
      id: 'S-12',
      subject: { reference: 'Patient/S-7' },
      performer: [
        { reference: 'https://src/fhir/Practitioner/S-8/_history/2' },
        { reference: 'Practitioner/abc' },
        { reference: 'patient/9' },
        { reference: '#c1' },
        { reference: '7' },
      ],
      contained: [{ resourceType: 'Organization', id: 'S-3' }],
      // An element id is not a resource id.
      code: { coding: [{ id: '5', code: 'x' }] },
    });
    expect(summary).toMatchObject({ requests: 1, resources: 1, succeeded: 1, failed: 0, ignoredTypes: 0 });
  });

  it('sends types in the order given, then transaction Bundles, counting refusals once', async () => {
    await write(
      'data/mixed.ndjson',
      [
        { resourceType: 'Observation', id: 'o1' },
        { resourceType: 'Patient', id: 'p1' },
        { resourceType: 'Bundle', type: 'transaction', entry: [] },
        { resourceType: 'Encounter', id: 'e1' },
        { resourceType: 'Patient', id: 'bad id' },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    const { client, calls } = recordingClient();
    const summary = await syncResources(client, [join(dir, 'data/mixed.ndjson')], {
      resourceTypes: ['Patient', 'Observation'],
      parallel: 1,
    });
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'PUT Patient/p1',
      'PUT Observation/o1',
      'POST ',
    ]);
    expect(summary).toMatchObject({
      requests: 3,
      resources: 3,
      succeeded: 2, // the empty transaction Bundle counts no resources
      failed: 1,
      byStatus: { '200': 3, refused: 1 },
    });
  });

  it('sends only the resource ids asked for, and refuses what a prefix would make too long', async () => {
    await write(
      'data/two.ndjson',
      '{"resourceType":"Patient","id":"1"}\n{"resourceType":"Patient","id":"2"}\n',
    );
    const { client, calls } = recordingClient();
    await syncResources(client, [join(dir, 'data/two.ndjson')], { resourceIds: ['Patient/2'] });
    expect(calls.map((call) => call.path)).toEqual(['Patient/2']);
    const long = recordingClient();
    const summary = await syncResources(long.client, [join(dir, 'data/two.ndjson')], {
      prefixNumericIds: 'x'.repeat(64),
    });
    expect(long.calls).toHaveLength(0);
    expect(summary.failures[0]).toEqual({
      source: 'two.ndjson:1',
      status: 0,
      diagnostics: 'Patient id is not a FHIR id (1-64 of A-Z a-z 0-9 - .) after --prefix-numeric-ids',
    });
  });

  it('refuses resources nested too deeply or holding prototype keys, naming neither value', async () => {
    let deep: unknown = { url: 'x' };
    for (let depth = 0; depth < 200; depth += 1) deep = { extension: [deep] };
    await write(
      'data/hostile.ndjson',
      `${JSON.stringify({ resourceType: 'Patient', id: 'd', extension: [deep] })}\n`,
    );
    await write('data/proto.json', '{"resourceType":"Patient","id":"p","__proto__":{"polluted":true}}');
    const { client, calls } = recordingClient();
    const summary = await syncResources(client, [
      join(dir, 'data/hostile.ndjson'),
      join(dir, 'data/proto.json'),
    ]);
    expect(calls).toHaveLength(0);
    expect(summary.failures.map((failure) => failure.diagnostics)).toEqual([
      expect.stringMatching(/^nested deeper than \d+ levels$/),
      expect.stringMatching(/__proto__|prototype/),
    ]);
  });

  it('in Synthea mode sends supporting Bundles first and turns their conditional creates into PUTs others refer to', async () => {
    await write('synthea/Alice.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:pat-1',
          resource: {
            resourceType: 'Patient',
            generalPractitioner: [{ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|99' }],
          },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    });
    await write('synthea/practitionerInformation1.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:prac-1',
          resource: { resourceType: 'Practitioner' },
          request: {
            method: 'POST',
            url: 'Practitioner',
            ifNoneExist: 'identifier=http://hl7.org/fhir/sid/us-npi|99',
          },
        },
        {
          fullUrl: 'urn:uuid:bad',
          resource: { resourceType: 'Practitioner', id: 'bad id' },
          request: { method: 'POST', url: 'Practitioner', ifNoneExist: 'identifier=x|1' },
        },
        { resource: { resourceType: 'Location' }, request: { method: 'PUT', ifNoneExist: 'x' } },
      ],
    });
    const { client, calls } = recordingClient();
    await syncResources(client, [join(dir, 'synthea')], { synthea: true, parallel: 1 });
    expect(calls.map((call) => (call.body.entry as { fullUrl?: string }[])[0]?.fullUrl)).toEqual([
      'urn:uuid:prac-1',
      'urn:uuid:pat-1',
    ]);
    const practitioners = calls[0]?.body.entry as { resource: { id?: string }; request: unknown }[];
    expect(practitioners[0]).toMatchObject({
      resource: { id: 'prac-1' },
      request: { method: 'PUT', url: 'Practitioner/prac-1' },
    });
    expect(practitioners[1]?.request).toEqual({
      method: 'POST',
      url: 'Practitioner',
      ifNoneExist: 'identifier=x|1',
    });
    expect(practitioners[2]?.request).toEqual({ method: 'PUT', ifNoneExist: 'x' });
    const patient = (calls[1]?.body.entry as { resource: { generalPractitioner: unknown } }[])[0]?.resource;
    expect(patient?.generalPractitioner).toEqual([{ reference: 'Practitioner/prac-1' }]);
    // Without Synthea mode the files go in name order and nothing is resolved.
    const plain = recordingClient();
    await syncResources(plain.client, [join(dir, 'synthea')], { parallel: 1 });
    expect(plain.calls.map((call) => (call.body.entry as { fullUrl?: string }[])[0]?.fullUrl)).toEqual([
      'urn:uuid:pat-1',
      'urn:uuid:prac-1',
    ]);
  });

  it('adds up the summaries of every group', async () => {
    await write('data/a.ndjson', '{"resourceType":"Patient","id":"a"}\n{"resourceType":"Goal","id":"g"}\n');
    const { client } = recordingClient(201);
    const summary = await syncResources(client, [join(dir, 'data/a.ndjson')], {
      resourceTypes: ['Patient', 'Goal'],
    });
    expect(summary).toMatchObject({
      requests: 2,
      resources: 2,
      succeeded: 2,
      failed: 0,
      byStatus: { '201': 2 },
      failures: [],
    });
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses a selection it cannot honour before reading anything', async () => {
    const { client } = recordingClient();
    const file = join(dir, 'data/a.ndjson');
    await expect(
      syncResources(client, [file], { resourceTypes: ['Patient'], resourceIds: ['Patient/1'] }),
    ).rejects.toThrow('resource types and resource ids cannot be combined');
    await expect(syncResources(client, [file], { resourceTypes: ['patient'] })).rejects.toThrow(
      'a resource type given is not an R4 resource type',
    );
    for (const key of ['Patient', 'Patient/1/_history/2', 'Nope/1', 'Patient/a b']) {
      await expect(syncResources(client, [file], { resourceIds: [key] })).rejects.toThrow(
        'a resource id given is not Type/id with an R4 type and a FHIR id',
      );
    }
  });
});
