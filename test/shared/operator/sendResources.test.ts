import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, FhirApiClient } from '../../../shared/operator/FhirApiClient.js';
import {
  isRefused,
  listFhirFiles,
  readRequests,
  requestsFor,
  sendItems,
  sendResources,
  type SendWork,
} from '../../../shared/operator/sendResources.js';

/** A client whose answers come from `answer`; records each request. */
const fakeClient = (
  answer: (method: string, path: string, attempt: number) => Partial<ApiResponse> | Error,
) => {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const client = {
    request: async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
      const attempt = calls.filter((call) => call.method === method && call.path === path).length;
      calls.push({ method, path, body });
      const response = answer(method, path, attempt);
      if (response instanceof Error) throw response;
      return { status: 200, headers: new Headers(), ...response };
    },
  } as unknown as FhirApiClient;
  return { client, calls };
};

const outcome = (diagnostics: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ code: 'invalid', diagnostics }],
});

describe('Function: requestsFor', () => {
  it('PUTs a resource with an id and POSTs one without', () => {
    expect(requestsFor({ resourceType: 'Patient', id: 'p1' }, 'f')).toEqual([
      {
        source: 'f',
        method: 'PUT',
        path: 'Patient/p1',
        body: { resourceType: 'Patient', id: 'p1' },
        resources: 1,
      },
    ]);
    expect(requestsFor({ resourceType: 'Patient', id: '' }, 'f')[0]).toMatchObject({
      method: 'POST',
      path: 'Patient',
    });
    expect(requestsFor({ resourceType: 'Patient' }, 'f')[0]).toMatchObject({
      method: 'POST',
      path: 'Patient',
    });
  });

  it('refuses what is not a resource, or whose type or id cannot be a path', () => {
    for (const value of [null, [], 'text', { id: 'x' }, { resourceType: 7 }]) {
      expect(requestsFor(value, 'f')).toEqual([
        { source: 'f', problem: 'not a FHIR resource (no resourceType)', resources: 1 },
      ]);
    }
    expect(requestsFor({ resourceType: 'http:', id: 'x' }, 'f')).toEqual([
      { source: 'f', problem: 'resourceType is not an R4 resource type', resources: 1 },
    ]);
    expect(requestsFor({ resourceType: 'Patient', id: '../x' }, 'f')[0]).toMatchObject({
      problem: /not a FHIR id/,
    });
  });

  it('POSTs a transaction or batch Bundle whole, counting its entries, and splits any other Bundle', () => {
    const transaction = { resourceType: 'Bundle', type: 'transaction', entry: [{}, {}] };
    expect(requestsFor(transaction, 'f')).toEqual([
      { source: 'f', method: 'POST', path: '', body: transaction, resources: 2 },
    ]);
    expect(requestsFor({ resourceType: 'Bundle', type: 'batch' }, 'f')[0]).toMatchObject({
      method: 'POST',
      resources: 0,
    });
    const collection = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'a' } },
        { fullUrl: 'x' },
        'junk',
        { resource: { id: 'b' } },
      ],
    };
    expect(requestsFor(collection, 'f')).toEqual([
      {
        source: 'f#0',
        method: 'PUT',
        path: 'Patient/a',
        body: { resourceType: 'Patient', id: 'a' },
        resources: 1,
      },
      { source: 'f#3', problem: 'not a FHIR resource (no resourceType)', resources: 1 },
    ]);
  });

  it('sends collections as transactions when asked, but never turns a batch into one', () => {
    const collection = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient' } }],
    };
    const [item] = requestsFor(collection, 'f', { bundlesAsTransactions: true });
    expect(item).toMatchObject({ method: 'POST', path: '', resources: 1, body: { type: 'transaction' } });
    const batch = { resourceType: 'Bundle', type: 'batch', entry: [] };
    expect(requestsFor(batch, 'f', { bundlesAsTransactions: true })[0]).toMatchObject({
      body: { type: 'batch' },
    });
  });
});

describe('Reading files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlc-send-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ resourceType: 'Patient', id: 'b' }));
    await writeFile(
      join(dir, 'a.NDJSON'),
      '{"resourceType":"Patient","id":"a1"}\r\n\n   \n{"resourceType":"Patient","id":"a2"}\nnot json\n',
    );
    await writeFile(join(dir, 'sub', 'c.jsonl'), '{"resourceType":"Observation","id":"c"}\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    await writeFile(join(dir, 'broken.json'), '{');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists FHIR files of folders, sorted and recursively, and files named directly', async () => {
    expect(await listFhirFiles([dir])).toEqual([
      join(dir, 'a.NDJSON'),
      join(dir, 'b.json'),
      join(dir, 'broken.json'),
      join(dir, 'sub', 'c.jsonl'),
    ]);
    expect(await listFhirFiles([join(dir, 'notes.txt'), join(dir, 'b.json')])).toEqual([join(dir, 'b.json')]);
  });

  it('reads one resource from a .json file and one per non-blank line elsewhere, naming file and line', async () => {
    expect(await readRequests(join(dir, 'b.json'))).toEqual([
      {
        source: 'b.json',
        method: 'PUT',
        path: 'Patient/b',
        body: { resourceType: 'Patient', id: 'b' },
        resources: 1,
      },
    ]);
    const lines = await readRequests(join(dir, 'a.NDJSON'));
    expect(lines.map((item) => item.source)).toEqual(['a.NDJSON:1', 'a.NDJSON:4', 'a.NDJSON:5']);
    expect(lines.filter(isRefused)).toHaveLength(1);
    const [broken] = await readRequests(join(dir, 'broken.json'));
    expect(broken && isRefused(broken)).toBe(true);
    expect(broken).toMatchObject({ source: 'broken.json', resources: 1 });
  });

  it('sends every file of a folder', async () => {
    const { client, calls } = fakeClient(() => ({ status: 201 }));
    const summary = await sendResources(client, [dir], { parallel: 1 });
    expect(calls.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'PUT Patient/a1',
      'PUT Patient/a2',
      'PUT Patient/b',
      'PUT Observation/c',
    ]);
    expect(summary).toMatchObject({
      requests: 4,
      resources: 6,
      succeeded: 4,
      failed: 2,
      byStatus: { '201': 4, refused: 2 },
    });
  });
});

describe('Function: sendItems', () => {
  const put = (id: string): SendWork => ({
    source: `f:${id}`,
    method: 'PUT',
    path: `Patient/${id}`,
    body: { resourceType: 'Patient', id },
    resources: 1,
  });

  it('counts successes, refusals and failures with their diagnostics, and reports progress', async () => {
    const { client } = fakeClient((_method, path) =>
      path === 'Patient/bad'
        ? { status: 422, body: outcome('gender is not a code') }
        : path === 'Patient/gone'
          ? { status: 404 }
          : { status: 200 },
    );
    const progress: [number, number | undefined][] = [];
    const summary = await sendItems(
      client,
      [
        put('a'),
        put('bad'),
        { source: 'f:x', problem: 'not a FHIR resource (no resourceType)', resources: 1 },
        put('gone'),
      ],
      { onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(summary).toMatchObject({
      requests: 3,
      resources: 4,
      succeeded: 1,
      failed: 3,
      byStatus: { '200': 1, '422': 1, '404': 1, refused: 1 },
    });
    expect(summary.failures).toEqual(
      expect.arrayContaining([
        { source: 'f:bad', status: 422, diagnostics: 'invalid: gender is not a code' },
        { source: 'f:x', status: 0, diagnostics: 'not a FHIR resource (no resourceType)' },
        { source: 'f:gone', status: 404 },
      ]),
    );
    expect(summary.failures).toHaveLength(3);
    expect(progress.map(([done]) => done)).toEqual([1, 2, 3, 4]);
    expect(progress.every(([, total]) => total === 4)).toBe(true);
  });

  it('counts the failed entries of a transaction answered 200', async () => {
    const { client } = fakeClient(() => ({
      status: 200,
      body: {
        resourceType: 'Bundle',
        entry: [
          { response: { status: '201 Created' } },
          { response: { status: '400 Bad Request', outcome: outcome('bad entry') } },
          { response: { status: '409' } },
          { response: {} },
          'junk',
        ],
      },
    }));
    const summary = await sendItems(client, [
      { source: 't.json', method: 'POST', path: '', body: { resourceType: 'Bundle' }, resources: 5 },
    ]);
    expect(summary).toMatchObject({ requests: 1, resources: 5, succeeded: 3, failed: 2 });
    expect(summary.failures).toEqual([
      { source: 't.json#1', status: 400, diagnostics: 'invalid: bad entry' },
      { source: 't.json#2', status: 409 },
    ]);
  });

  it('retries 429 and 5xx gateway answers and network errors, then gives up with the last answer', async () => {
    const { client, calls } = fakeClient((_method, path, attempt) =>
      path === 'Patient/busy'
        ? { status: attempt === 0 ? 429 : 201 }
        : path === 'Patient/down'
          ? { status: 503 }
          : new Error('ECONNRESET'),
    );
    const summary = await sendItems(client, [put('busy'), put('down'), put('net')], {
      retries: 1,
      parallel: 3,
    });
    expect(calls.filter((call) => call.path === 'Patient/busy')).toHaveLength(2);
    expect(calls.filter((call) => call.path === 'Patient/down')).toHaveLength(2);
    expect(calls.filter((call) => call.path === 'Patient/net')).toHaveLength(2);
    expect(summary).toMatchObject({
      requests: 3,
      succeeded: 1,
      failed: 2,
      byStatus: { '201': 1, '503': 1, '0': 1 },
    });
    expect(summary.failures).toEqual(
      expect.arrayContaining([
        { source: 'f:down', status: 503 },
        { source: 'f:net', status: 0, diagnostics: 'ECONNRESET' },
      ]),
    );
  });

  it('does not retry other errors, and sends each item of an async source to one worker', async () => {
    const { client, calls } = fakeClient(() => ({ status: 400 }));
    async function* items() {
      for (const id of ['a', 'b', 'c', 'd', 'e']) yield put(id);
    }
    const summary = await sendItems(client, items(), { parallel: 3, retries: 5 });
    expect(calls.map((call) => call.path).sort()).toEqual([
      'Patient/a',
      'Patient/b',
      'Patient/c',
      'Patient/d',
      'Patient/e',
    ]);
    expect(summary).toMatchObject({ requests: 5, failed: 5, succeeded: 0 });
  });

  it('sends nothing for nothing', async () => {
    const { client, calls } = fakeClient(() => ({ status: 200 }));
    expect(await sendItems(client, [])).toMatchObject({
      requests: 0,
      resources: 0,
      succeeded: 0,
      failed: 0,
      failures: [],
    });
    expect(calls).toHaveLength(0);
  });
});
