import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentSourceError } from '../../../shared/fhirClient/errors.js';
import { contentHash } from '../../../shared/ingest/contentHash.js';
import {
  checkPruneConfirmation,
  scopeDifferences,
} from '../../../shared/reconcile/checkPruneConfirmation.js';
import {
  classifyResource,
  isVersionConflict,
  versionOf,
} from '../../../shared/reconcile/classifyResource.js';
import { idListLocation, S3IdListSink } from '../../../shared/reconcile/IdListSink.js';
import { parseReconcileMessage } from '../../../shared/reconcile/parseReconcileMessage.js';
import { RECONCILE_OPERATIONS } from '../../../shared/reconcile/reconcileOperations.js';
import type { ReconcileInput } from '../../../shared/reconcile/parseReconcileParameters.js';
import { planStreams, searchableTypes } from '../../../shared/reconcile/planStreams.js';
import { PageResult, totalOf } from '../../../shared/reconcile/PageResult.js';
import { reconcileStatusResource, totalTally } from '../../../shared/reconcile/reconcileStatusResource.js';
import { asyncRefusal } from '../../helpers/outcomeRefusal.js';
import { emptyTally, type ReconcileJob, type ReconcileScope } from '../../../shared/reconcile/types.js';

const EVERYTHING: ReconcileScope = { resourceTypes: [], resourceIds: [], searchUrls: [] };

const job = (overrides: Partial<ReconcileJob> = {}): ReconcileJob => ({
  jobId: 'job-1',
  subscriptionId: 'sub-1',
  mode: 'compare',
  contentHash: false,
  scope: EVERYTHING,
  state: 'completed',
  createdAt: '2026-03-01T00:00:00.000Z',
  planned: true,
  streams: [],
  streamsDone: 0,
  counts: {},
  samples: [],
  ...overrides,
});

describe('Function: scopeDifferences', () => {
  it('finds none between the same scope written in another order', () => {
    expect(
      scopeDifferences(
        {
          resourceTypes: ['Patient', 'Observation'],
          resourceIds: [],
          searchUrls: ['A?x', 'B?y'],
          since: 's',
        },
        {
          resourceTypes: ['Observation', 'Patient', 'Patient'],
          resourceIds: [],
          searchUrls: ['B?y', 'A?x'],
          since: 's',
        },
      ),
    ).toEqual([]);
  });

  it('names types and the window by value, searches and ids by count only', () => {
    expect(
      scopeDifferences(
        {
          resourceTypes: [],
          resourceIds: ['Patient/secret-1'],
          searchUrls: ['Patient?name=secret'],
          until: 'u',
        },
        {
          resourceTypes: ['Patient', 'Encounter'],
          resourceIds: ['Patient/secret-2', 'Patient/secret-3'],
          searchUrls: [],
          since: 's',
        },
      ),
    ).toEqual([
      'resourceType (compare: every type; prune: Encounter,Patient)',
      'searchUrl (compare: 1; prune: 0, not the same)',
      'resourceId (compare: 1; prune: 2, not the same)',
      'since (compare: none; prune: s)',
      'until (compare: u; prune: none)',
    ]);
  });
});

describe('Function: checkPruneConfirmation', () => {
  const prune = (overrides: Partial<ReconcileInput> = {}): ReconcileInput => ({
    subscriptionId: 'sub-1',
    mode: 'repair-and-prune',
    contentHash: false,
    scope: EVERYTHING,
    pruneConfirmation: 3,
    compareJobId: 'job-1',
    ...overrides,
  });
  const store = (stored?: ReconcileJob) => ({
    get: async (id: string) => (id === stored?.jobId ? stored : undefined),
  });
  const compare = (overrides: Partial<ReconcileJob> = {}) =>
    job({
      target: 'https://hl/r4/',
      counts: {
        Patient: { ...emptyTally(), onlyInHealthLake: 2 },
        Observation: { ...emptyTally(), onlyInHealthLake: 1 },
      },
      ...overrides,
    });

  it('lets a prune through that repeats the total count of a completed compare of the same scope and target', async () => {
    await expect(
      checkPruneConfirmation(prune(), 'https://hl/r4/', store(compare())),
    ).resolves.toBeUndefined();
    // A compare recorded before targets were kept is matched on scope and count alone.
    await expect(
      checkPruneConfirmation(prune(), 'https://other/r4/', store(compare({ target: undefined }))),
    ).resolves.toBeUndefined();
  });

  it('checks nothing for other modes', async () => {
    await expect(
      checkPruneConfirmation(prune({ mode: 'repair' }), 'x', {
        get: () => Promise.reject(new Error('read')),
      }),
    ).resolves.toBeUndefined();
  });

  it('answers 404 for an unknown compare job', async () => {
    expect(
      await asyncRefusal(checkPruneConfirmation(prune({ compareJobId: 'nope' }), 'x', store(compare()))),
    ).toEqual({
      status: 404,
      diagnostics: 'Unknown compare job nope',
    });
  });

  it.each([
    ['a repair job', { mode: 'repair' as const }],
    ['a running compare', { state: 'running' as const }],
    ['a compare of another subscription', { subscriptionId: 'sub-2' }],
  ])('answers 409 when the named job is %s', async (_what, overrides) => {
    expect(
      await asyncRefusal(checkPruneConfirmation(prune(), 'https://hl/r4/', store(compare(overrides)))),
    ).toEqual({
      status: 409,
      diagnostics: 'compareJob must be a completed compare job of the same subscription',
    });
  });

  it('answers 409 naming what differs and the count to repeat when the scope differs', async () => {
    const found = await asyncRefusal(
      checkPruneConfirmation(
        prune({ scope: { ...EVERYTHING, resourceTypes: ['Patient'] } }),
        'https://hl/r4/',
        store(compare()),
      ),
    );
    expect(found).toEqual({
      status: 409,
      diagnostics:
        "The prune's scope differs from its compare's: resourceType (compare: every type; prune: Patient). Repeat the compare's scope (compare job job-1 reported 3 only in HealthLake); nothing was started",
    });
  });

  it('answers 409 when the target changed since the compare', async () => {
    const found = await asyncRefusal(
      checkPruneConfirmation(prune(), 'https://hl/r4/#{"idPrefix":"B-"}', store(compare())),
    );
    expect(found?.status).toBe(409);
    expect(found?.diagnostics).toMatch(/endpoint or replication settings changed since compare job job-1/);
  });

  it('answers 409 with the expected count when the confirmation is another number', async () => {
    expect(
      await asyncRefusal(
        checkPruneConfirmation(prune({ pruneConfirmation: 2 }), 'https://hl/r4/', store(compare())),
      ),
    ).toEqual({
      status: 409,
      diagnostics:
        'pruneConfirmation must be 3, the only-in-HealthLake count compare job job-1 reported (given: 2); nothing was started',
    });
  });
});

describe('Function: classifyResource', () => {
  const source = (versionId: string, lastUpdated: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'Patient',
    id: 'p1',
    meta: { versionId, lastUpdated },
    active: true,
    ...extra,
  });
  const ledger = (versionId: string, lastUpdated: string, extra: Record<string, unknown> = {}) => ({
    versionId,
    lastUpdated,
    deleted: false,
    ...extra,
  });
  const plain = { compareContent: false, fullSource: false };
  const T1 = '2026-01-01T00:00:00Z';
  const T2 = '2026-01-02T00:00:00Z';

  it('reads a version only when meta has both versionId and lastUpdated as strings', () => {
    expect(versionOf(source('2', T1))).toEqual({ versionId: '2', lastUpdated: T1 });
    expect(versionOf({ resourceType: 'Patient', meta: { versionId: '2' } })).toBeUndefined();
    expect(versionOf({ resourceType: 'Patient', meta: { versionId: 2, lastUpdated: T1 } })).toBeUndefined();
    expect(versionOf({ resourceType: 'Patient' })).toBeUndefined();
  });

  it('is missing without a HealthLake copy, still flagging a pinned ledger', () => {
    expect(classifyResource(source('2', T1), undefined, ledger('3', T2), plain)).toEqual({
      outcome: 'missing',
      pinned: true,
      conflict: false,
    });
    expect(classifyResource(source('2', T1), undefined, undefined, plain)).toEqual({
      outcome: 'missing',
      pinned: false,
      conflict: false,
    });
  });

  it('is stale when the ledger holds a newer version (pinned), in sync when it holds the same or an older one', () => {
    const copy = source('9', T2);
    expect(classifyResource(source('2', T1), copy, ledger('3', T1), plain)).toMatchObject({
      outcome: 'stale',
      pinned: true,
    });
    expect(classifyResource(source('2', T1), copy, ledger('2', T1), plain)).toMatchObject({
      outcome: 'inSync',
      pinned: false,
    });
    expect(classifyResource(source('2', T1), copy, ledger('1', T1), plain)).toMatchObject({
      outcome: 'inSync',
      pinned: false,
    });
    // A source without a version cannot be pinned.
    expect(
      classifyResource({ resourceType: 'Patient', id: 'p1' }, copy, ledger('3', T1), plain),
    ).toMatchObject({
      outcome: 'inSync',
      pinned: false,
    });
  });

  it('is stale when HealthLake stored its copy before the source version existed, not at the same instant', () => {
    expect(classifyResource(source('2', T2), source('1', T1), undefined, plain).outcome).toBe('stale');
    expect(classifyResource(source('2', T2), source('1', T2), undefined, plain).outcome).toBe('inSync');
    expect(classifyResource(source('2', T1), source('1', T2), undefined, plain).outcome).toBe('inSync');
    // An unreadable lastUpdated on either side decides nothing.
    expect(classifyResource(source('2', T2), source('1', 'soon'), undefined, plain).outcome).toBe('inSync');
    expect(classifyResource(source('2', 'soon'), source('1', T1), undefined, plain).outcome).toBe('inSync');
  });

  it('compares content (ignoring versions) only when asked, and as delivered when given', () => {
    const current = source('2', T1);
    const changed = source('7', T2, { active: false });
    expect(classifyResource(current, changed, undefined, plain).outcome).toBe('inSync');
    expect(
      classifyResource(current, changed, undefined, { compareContent: true, fullSource: false }).outcome,
    ).toBe('stale');
    expect(
      classifyResource(current, source('7', T2), undefined, { compareContent: true, fullSource: false })
        .outcome,
    ).toBe('inSync');
    const delivered = { ...current, id: 'A-p1' };
    expect(
      classifyResource(current, { ...source('7', T2), id: 'A-p1' }, undefined, {
        compareContent: true,
        fullSource: false,
        asDelivered: delivered,
      }).outcome,
    ).toBe('inSync');
  });

  it('flags a same-version conflict only with the full source read, and it makes an in-sync copy stale', () => {
    const current = source('2', T1);
    const other = ledger('2', T1, { contentHash: contentHash(source('2', T1, { active: false })) });
    expect(isVersionConflict(current, other)).toBe(true);
    expect(
      classifyResource(current, source('5', T2), other, { compareContent: false, fullSource: true }),
    ).toEqual({
      outcome: 'stale',
      pinned: false,
      conflict: true,
    });
    expect(classifyResource(current, source('5', T2), other, plain)).toEqual({
      outcome: 'inSync',
      pinned: false,
      conflict: false,
    });
  });

  it('sees no conflict for the same content, another version, a deleted entry, an unhashed entry or no ledger', () => {
    const current = source('2', T1);
    const otherHash = contentHash(source('2', T1, { active: false }));
    expect(isVersionConflict(current, ledger('2', T1, { contentHash: contentHash(current) }))).toBe(false);
    expect(isVersionConflict(current, ledger('3', T1, { contentHash: otherHash }))).toBe(false);
    expect(isVersionConflict(current, ledger('2', T1, { contentHash: otherHash, deleted: true }))).toBe(
      false,
    );
    expect(isVersionConflict(current, ledger('2', T1))).toBe(false);
    expect(isVersionConflict(current, undefined)).toBe(false);
    expect(isVersionConflict({ resourceType: 'Patient' }, ledger('2', T1, { contentHash: otherHash }))).toBe(
      false,
    );
  });
});

describe('Function: planStreams', () => {
  const capability = {
    rest: [
      {
        resource: [
          { type: 'Patient', interaction: [{ code: 'read' }, { code: 'search-type' }] },
          { type: 'Observation', interaction: [{ code: 'search-type' }] },
          { type: 'Binary', interaction: [{ code: 'read' }] },
          { type: 'StructureDefinition', interaction: [{ code: 'search-type' }] },
          { type: 'Subscription', interaction: [{ code: 'search-type' }] },
          { interaction: [{ code: 'search-type' }] },
          { type: 'Encounter' },
        ],
      },
      {},
    ],
  };
  const pair = (resourceType: string, query: string) => [
    { side: 'source', resourceType, query, page: -1, nextEnqueued: true, done: false },
    { side: 'healthlake', resourceType, query, page: -1, nextEnqueued: true, done: false },
  ];
  const never = () => Promise.reject(new Error('the CapabilityStatement is not needed'));

  it('lists the types a CapabilityStatement can search, and refuses one without rest', () => {
    expect(searchableTypes(capability)).toEqual([
      'Patient',
      'Observation',
      'StructureDefinition',
      'Subscription',
    ]);
    expect(() => searchableTypes({})).toThrow(PermanentSourceError);
    expect(() => searchableTypes(undefined)).toThrow(/lists no REST capabilities/);
  });

  it('plans every searchable data type the criteria cover, without infrastructure types or Subscription', async () => {
    expect(await planStreams(job(), '*', async () => capability)).toEqual([
      ...pair('Patient', 'Patient?'),
      ...pair('Observation', 'Observation?'),
    ]);
    expect(await planStreams(job(), new Set(['Observation', 'Encounter']), async () => capability)).toEqual(
      pair('Observation', 'Observation?'),
    );
  });

  it('plans the requested types and searches in order, each with the _lastUpdated window', async () => {
    const scoped = job({
      scope: {
        resourceTypes: ['Observation', 'Patient'],
        resourceIds: [],
        searchUrls: ['/Encounter?status=finished', 'Condition?'],
        since: '2026-01-01T00:00:00+01:00',
        until: '2026-02-01',
      },
    });
    const window = '_lastUpdated=ge2026-01-01T00%3A00%3A00%2B01%3A00&_lastUpdated=lt2026-02-01';
    expect(await planStreams(scoped, new Set(['Patient', 'Encounter', 'Condition']), never)).toEqual([
      ...pair('Patient', `Patient?${window}`),
      ...pair('Encounter', `Encounter?status=finished&${window}`),
      ...pair('Condition', `Condition?${window}`),
    ]);
    const untilOnly = job({
      scope: { ...EVERYTHING, searchUrls: ['Patient?active=true'], until: '2026-02-01' },
    });
    expect(await planStreams(untilOnly, '*', never)).toEqual(
      pair('Patient', 'Patient?active=true&_lastUpdated=lt2026-02-01'),
    );
    const noWindow = job({ scope: { ...EVERYTHING, resourceTypes: ['Patient'] } });
    expect(await planStreams(noWindow, '*', never)).toEqual(pair('Patient', 'Patient?'));
  });

  it('adds no window to a search when the job has none, strips only leading slashes, and never plans Subscription', async () => {
    const plain = job({
      scope: {
        ...EVERYTHING,
        searchUrls: ['//Encounter?status=finished', 'Observation?subject=Patient/a//b'],
      },
    });
    expect(await planStreams(plain, '*', never)).toEqual([
      ...pair('Encounter', 'Encounter?status=finished'),
      ...pair('Observation', 'Observation?subject=Patient/a//b'),
    ]);
    const asked = job({ scope: { ...EVERYTHING, resourceTypes: ['Subscription', 'Patient'] } });
    expect(await planStreams(asked, '*', never)).toEqual(pair('Patient', 'Patient?'));
  });

  it('plans exactly two batches for 200 ids', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `Patient/p${i}`);
    const streams = await planStreams(job({ scope: { ...EVERYTHING, resourceIds: ids } }), '*', never);
    expect(streams.map((stream) => [stream.idStart, stream.idCount])).toEqual([
      [0, 100],
      [100, 100],
    ]);
  });

  it('plans resource ids in batches of 100, ignoring types', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `Patient/p${i}`);
    const streams = await planStreams(job({ scope: { ...EVERYTHING, resourceIds: ids } }), new Set(), never);
    expect(streams).toEqual(
      [
        [0, 100],
        [100, 100],
        [200, 50],
      ].map(([idStart, idCount]) => ({
        side: 'ids',
        idStart,
        idCount,
        page: -1,
        nextEnqueued: true,
        done: false,
      })),
    );
  });
});

describe('Function: reconcileStatusResource', () => {
  it('reports a finished prune job: its fields, totals, per-type tallies sorted by type, samples and id lists', () => {
    const status = reconcileStatusResource(
      job({
        mode: 'repair-and-prune',
        contentHash: true,
        startedAt: '2026-03-01T00:00:01.000Z',
        endedAt: '2026-03-01T00:00:02.000Z',
        reason: 'cancelled by request',
        pruneConfirmation: 0,
        compareJobId: 'job-0',
        streams: [{ side: 'ids', idStart: 0, idCount: 1, page: 0, nextEnqueued: true, done: true }],
        streamsDone: 1,
        counts: {
          Patient: { ...emptyTally(), missing: 2, pruned: 1 },
          Encounter: { ...emptyTally(), missing: 1 },
        },
        samples: ['missing Patient/p1'],
        idLists: 's3://bucket/reconcile/job-1/',
      }),
    );
    const tally = (values: Record<string, number>) =>
      Object.keys(emptyTally()).map((name) => ({ name, valueUnsignedInt: values[name] ?? 0 }));
    expect(status).toEqual({
      resourceType: 'Parameters',
      parameter: [
        { name: 'jobId', valueString: 'job-1' },
        { name: 'subscription', valueReference: { reference: 'Subscription/sub-1' } },
        { name: 'mode', valueCode: 'repair-and-prune' },
        { name: 'contentHash', valueBoolean: true },
        { name: 'state', valueCode: 'completed' },
        { name: 'createdAt', valueInstant: '2026-03-01T00:00:00.000Z' },
        { name: 'startedAt', valueInstant: '2026-03-01T00:00:01.000Z' },
        { name: 'endedAt', valueInstant: '2026-03-01T00:00:02.000Z' },
        { name: 'reason', valueString: 'cancelled by request' },
        { name: 'pruneConfirmation', valueUnsignedInt: 0 },
        { name: 'compareJob', valueString: 'job-0' },
        { name: 'streamsDone', valueUnsignedInt: 1 },
        { name: 'streamCount', valueUnsignedInt: 1 },
        { name: 'total', part: tally({ missing: 3, pruned: 1 }) },
        { name: 'type', part: [{ name: 'resourceType', valueCode: 'Encounter' }, ...tally({ missing: 1 })] },
        {
          name: 'type',
          part: [{ name: 'resourceType', valueCode: 'Patient' }, ...tally({ missing: 2, pruned: 1 })],
        },
        {
          name: 'sample',
          part: [
            { name: 'outcome', valueCode: 'missing' },
            { name: 'resource', valueReference: { reference: 'Patient/p1' } },
          ],
        },
        { name: 'idLists', valueUrl: 's3://bucket/reconcile/job-1/' },
      ],
    });
  });

  it('leaves out what a queued compare does not have yet', () => {
    const names = reconcileStatusResource(job({ state: 'queued' })).parameter.map(({ name }) => name);
    expect(names).toEqual([
      'jobId',
      'subscription',
      'mode',
      'contentHash',
      'state',
      'createdAt',
      'streamsDone',
      'streamCount',
      'total',
    ]);
    expect(totalTally(job())).toEqual(emptyTally());
  });
});

describe('Function: parseReconcileMessage', () => {
  it('reads plan and page messages', () => {
    expect(parseReconcileMessage('{"jobId":"j","task":"plan"}')).toEqual({ jobId: 'j', task: 'plan' });
    expect(parseReconcileMessage('{"jobId":"j","task":"page","stream":0,"page":0,"url":"Patient?"}')).toEqual(
      {
        jobId: 'j',
        task: 'page',
        stream: 0,
        page: 0,
        url: 'Patient?',
      },
    );
  });

  it.each([
    '{"jobId":"","task":"plan"}',
    `{"jobId":"${'j'.repeat(65)}","task":"plan"}`,
    '{"jobId":"j","task":"prune"}',
    '{"jobId":"j","task":"page","stream":-1,"page":0}',
    '{"jobId":"j","task":"page","stream":0,"page":1.5}',
    '{"jobId":"j","task":"page","stream":0,"page":0,"url":""}',
    'not json',
  ])('refuses %s', (body) => {
    expect(() => parseReconcileMessage(body)).toThrow();
  });
});

describe('Class: S3IdListSink', () => {
  const s3Mock = mockClient(S3Client);
  afterEach(() => s3Mock.reset());

  it('writes a page of ids as one KMS-encrypted NDJSON object under the job prefix', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const sink = new S3IdListSink({
      s3: new S3Client({ region: 'us-east-1' }),
      bucket: 'b',
      kmsKeyId: 'key-1',
    });
    expect(sink.location('job-1')).toBe('s3://b/reconcile/job-1/');
    expect(idListLocation('b', 'job-1')).toBe(sink.location('job-1'));
    await sink.write('job-1', 2, 3, [
      { outcome: 'missing', resourceType: 'Patient', id: 'p1' },
      { outcome: 'stale', resourceType: 'Patient', id: 'p2' },
    ]);
    expect(s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'b',
        Key: 'reconcile/job-1/2-3.ndjson',
        Body: '{"outcome":"missing","resourceType":"Patient","id":"p1"}\n{"outcome":"stale","resourceType":"Patient","id":"p2"}\n',
        ContentType: 'application/x-ndjson',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'key-1',
      },
    ]);
  });

  it('writes nothing for an empty page, and uses the bucket key without a key id', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const sink = new S3IdListSink({ s3: new S3Client({ region: 'us-east-1' }), bucket: 'b' });
    await sink.write('job-1', 0, 0, []);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    await sink.write('job-1', 0, 0, [{ outcome: 'missing', resourceType: 'Patient', id: 'p1' }]);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).not.toHaveProperty('SSEKMSKeyId');
  });
});

describe('Class: PageResult', () => {
  it('counts outcomes per type, lists ids only for outcomes worth listing, and totals across types', () => {
    const page = new PageResult();
    page.add('missing', 'Patient', 'p1');
    page.add('missing', 'Observation', 'o1');
    page.add('inSync', 'Patient', 'p2');
    page.add('outOfScope', 'Patient', 'x');
    page.add('missing', 'Patient', 'p3');
    expect(page.counts).toEqual({
      Patient: { missing: 2, inSync: 1, outOfScope: 1 },
      Observation: { missing: 1 },
    });
    expect(page.lines).toEqual([
      { outcome: 'missing', resourceType: 'Patient', id: 'p1' },
      { outcome: 'missing', resourceType: 'Observation', id: 'o1' },
      { outcome: 'missing', resourceType: 'Patient', id: 'p3' },
    ]);
    expect(page.total('missing')).toBe(3);
    expect(page.total('stale')).toBe(0);
    expect(
      totalOf(
        job({ counts: { Patient: { ...emptyTally(), pruned: 2 }, Goal: { ...emptyTally(), pruned: 1 } } }),
        'pruned',
      ),
    ).toBe(3);
  });

  it('samples each outcome up to 10 in all, counting the samples the job already has', () => {
    const page = new PageResult();
    for (let i = 0; i < 12; i += 1) page.add('stale', 'Patient', `s${i}`);
    page.add('missing', 'Patient', 'm1');
    const existing = Array.from({ length: 8 }, (_, i) => `stale Patient/old${i}`);
    expect(page.samples(existing)).toEqual(['stale Patient/s0', 'stale Patient/s1', 'missing Patient/m1']);
    expect(page.samples([])).toHaveLength(11);
  });
});

describe('RECONCILE_OPERATIONS (what GET metadata lists for reconcile)', () => {
  it('names $reconcile and $reconcile-job as system operations with their definitions and how to call them', () => {
    expect(RECONCILE_OPERATIONS.map(({ name, on, definition }) => ({ name, on, definition }))).toEqual([
      {
        name: 'reconcile',
        on: 'system',
        definition: 'urn:healthlake-connector:OperationDefinition:reconcile',
      },
      {
        name: 'reconcile-job',
        on: 'system',
        definition: 'urn:healthlake-connector:OperationDefinition:reconcile-job',
      },
    ]);
    expect(RECONCILE_OPERATIONS[0]?.documentation).toMatch(
      /^POST \[base\]\/\$reconcile with a Parameters body/,
    );
    expect(RECONCILE_OPERATIONS[1]?.documentation).toMatch(
      /^GET \[base\]\/\$reconcile-job\/\{jobId\}.*DELETE cancels it\.$/,
    );
  });
});
