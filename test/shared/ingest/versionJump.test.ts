import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import type { FhirResponse } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { IngestMetricsCollector, INGEST_METRICS } from '../../../shared/ingest/IngestMetricsCollector.js';
import { DynamoVersionLedger } from '../../../shared/versions/DynamoVersionLedger.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import type { VersionLedger } from '../../../shared/versions/VersionLedger.js';
import {
  FakeMatcher,
  fhirRequest,
  patient,
  RecordingQueue,
  WRITE_CALLER,
} from '../../helpers/ingestFakes.js';

/**
 * Issue 20 item 5: a write-scope token could pin a resource with `meta.versionId: "999999999999999"`.
 * Through the real router, write pipeline and both ledgers (dynalite and in memory): an implausible
 * jump is refused with 422 and nothing recorded, real data (jumps with a newer lastUpdated, opaque
 * versionIds, backfill's source versions) still goes through, and a resource that keeps getting stale
 * writes is reported.
 */
const NOW = new Date('2026-06-01T12:00:00.000Z');
const T0 = '2026-05-01T00:00:00.000Z';
const T1 = '2026-05-02T00:00:00.000Z';

let aws: AwsStandins;
let documentClient: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  aws = await startAwsStandins();
  ({ stateTable: tableName } = await createConnectorResources({
    endpoints: aws,
    names: { prefix: 'version-jump' },
  }));
  documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint)));
});
afterAll(async () => {
  documentClient?.destroy();
  await aws?.stop();
});

let resources = 0;

const setup = (ledger: VersionLedger) => {
  const queue = new RecordingQueue();
  const collector = new IngestMetricsCollector();
  const warnings: [string, Record<string, unknown>][] = [];
  const pipeline = new DefaultWritePipeline({ ledger, matcher: new FakeMatcher(), queue, now: () => NOW });
  const route = createIngestRouter({
    pipeline,
    now: () => NOW,
    observer: collector,
    logger: {
      ...console,
      debug: () => undefined,
      info: () => undefined,
      warn: (m, a) => warnings.push([m, a]),
    },
  });
  // Each test writes its own resource, so the suites can share one table.
  const id = `p${(resources += 1)}`;
  const request = (method: 'PUT' | 'POST', path: string, body: unknown) =>
    route(fhirRequest({ method, path, body, caller: WRITE_CALLER }));
  const put = (versionId: string, lastUpdated?: string) =>
    request(
      'PUT',
      `Patient/${id}`,
      patient({ id, meta: { versionId, ...(lastUpdated ? { lastUpdated } : {}) } }),
    );
  const latest = async () => (await ledger.getLatest([`Patient/${id}`])).get(`Patient/${id}`);
  const count = (name: string) =>
    [...collector.counts.values()].reduce((sum, byName) => sum + (byName.get(name as never) ?? 0), 0);
  return { queue, put, request, latest, count, warnings, id, pipeline };
};

const issueOf = (response: FhirResponse) =>
  (response.body as { issue: { code: string; diagnostics: string; expression?: string[] }[] }).issue[0];

describe.each([
  ['DynamoVersionLedger (dynalite)', () => new DynamoVersionLedger({ client: documentClient, tableName })],
  ['InMemoryVersionLedger', () => new InMemoryVersionLedger()],
])('Version rules: implausible versionId jumps, %s', (_name, makeLedger) => {
  it('refuses "999999999999999" without a newer lastUpdated with 422 naming meta.versionId, recording nothing', async () => {
    const { put, latest, queue } = setup(makeLedger());
    expect((await put('1', T0)).status).toBe(200);
    for (const forged of [
      put('999999999999999'),
      put('999999999999999', T0),
      put('1002', '2026-04-01T00:00:00Z'),
    ]) {
      const response = await forged;
      expect(response.status).toBe(422);
      expect(issueOf(response)).toMatchObject({
        code: 'business-rule',
        expression: ['Patient.meta.versionId'],
        diagnostics: expect.stringMatching(
          /more than 1000 versions past the recorded version 1.*\$reset-version/,
        ),
      });
    }
    expect(await latest()).toMatchObject({ versionId: '1', lastUpdated: T0 });
    expect(queue.messages.map((message) => message.versionId)).toEqual(['1']);
    // The real next version is recorded and delivered: nothing was pinned.
    expect((await put('2', T1)).status).toBe(200);
    expect(queue.messages.map((message) => message.versionId)).toEqual(['1', '2']);
  });

  it('accepts real data: a jump up to the limit, a larger one with a newer lastUpdated of its own', async () => {
    const { put, latest } = setup(makeLedger());
    expect((await put('5', T0)).status).toBe(200);
    expect((await put('1005')).status).toBe(200);
    // Versions the connector never saw (a Subscription added later): the source advanced both.
    expect((await put('90000', '2026-06-01T12:01:00Z')).status).toBe(200);
    expect(await latest()).toMatchObject({ versionId: '90000' });
  });

  it('orders opaque versionIds by lastUpdated: they never jump, the clock-skew limit bounds them', async () => {
    const { put, latest } = setup(makeLedger());
    expect((await put('abc', T0)).status).toBe(200);
    // 16 digits is past the integer range compareVersions reads as a number: opaque, ordered by time.
    expect((await put('9999999999999999', T1)).status).toBe(200);
    expect((await put('7', '2026-05-03T00:00:00Z')).status).toBe(200);
    expect(await latest()).toMatchObject({ versionId: '7' });
  });

  it('answers a refused batch entry 422 and writes the others', async () => {
    const { request, id, queue } = setup(makeLedger());
    expect(
      (await request('PUT', `Patient/${id}`, patient({ id, meta: { versionId: '3', lastUpdated: T0 } })))
        .status,
    ).toBe(200);
    const response = await request('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: patient({ id, meta: { versionId: '999999999999999' } }),
          request: { method: 'PUT', url: `Patient/${id}` },
        },
        {
          resource: patient({ id: `${id}-b`, meta: { versionId: '1', lastUpdated: T0 } }),
          request: { method: 'PUT', url: `Patient/${id}-b` },
        },
      ],
    });
    const entries = (response.body as { entry: { response: { status: string; outcome?: unknown } }[] }).entry;
    expect(entries.map((entry) => entry.response.status)).toEqual(['422 Unprocessable Entity', '200 OK']);
    expect(JSON.stringify(entries[0]?.response.outcome)).toContain('Patient.meta.versionId');
    expect(queue.messages.map((message) => `${message.id}/${message.versionId}`)).toEqual([
      `${id}/3`,
      `${id}-b/1`,
    ]);
  });

  it('records backfill and reconcile writes as the source versioned them, however far they jump', async () => {
    const { put, pipeline, id, latest } = setup(makeLedger());
    expect((await put('2', T0)).status).toBe(200);
    const [result] = await pipeline.accept([
      {
        operation: 'upsert',
        resourceType: 'Patient',
        id,
        resource: patient({ id, meta: { versionId: '999999' } }),
        source: 'backfill',
        requestId: 'job',
      },
    ]);
    expect(result?.status).toBe('recorded');
    expect(await latest()).toMatchObject({ versionId: '999999' });
  });

  it('reports a resource that keeps receiving stale writes, by type and id, from the third on', async () => {
    const { put, count, warnings, id } = setup(makeLedger());
    // Pinned by a forged version that came with a current lastUpdated (the one case the jump rule lets by).
    expect((await put('999999999999999', T1)).status).toBe(200);
    for (const versionId of ['2', '3', '4', '5'])
      expect((await put(versionId, NOW.toISOString())).status).toBe(200);
    expect(count(INGEST_METRICS.staleWrites)).toBe(4);
    expect(count(INGEST_METRICS.repeatedStaleWrites)).toBe(2);
    const reported = warnings.filter(([message]) =>
      message.startsWith('Resource keeps receiving stale writes'),
    );
    expect(reported.map(([, attributes]) => attributes)).toEqual([
      expect.objectContaining({
        resourceType: 'Patient',
        id,
        recordedVersionId: '999999999999999',
        staleWrites: 3,
      }),
      expect.objectContaining({ staleWrites: 4 }),
    ]);
    // A new recorded version starts the count afresh.
    expect((await put('1000000000000000')).status).toBe(200);
  });
});
