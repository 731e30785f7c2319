import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import { InMemoryDeliveredVersions } from '../../../shared/versions/DeliveredVersions.js';
import { DynamoDeliveredVersions } from '../../../shared/versions/DynamoDeliveredVersions.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { DynamoVersionLedger } from '../../../shared/versions/DynamoVersionLedger.js';
import { DynamoVersionStateReset } from '../../../shared/versions/DynamoVersionStateReset.js';
import { handleResetVersion } from '../../../shared/ingest/routes/handleResetVersion.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { InMemoryVersionStateReset } from '../../../shared/versions/InMemoryVersionStateReset.js';
import { ENDPOINT_A, ENDPOINT_B, FakeMatcher, patient, RecordingQueue } from '../../helpers/ingestFakes.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const PINNED = { versionId: '999999999', lastUpdated: '2026-06-01T11:00:00.000Z', deleted: false };

interface LogLine {
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

const request = (
  method: FhirRequest['method'],
  path: string,
  body?: unknown,
  scope: 'write' | 'admin' = path.includes('$') ? 'admin' : 'write',
): FhirRequest => ({
  method,
  path,
  query: {},
  headers: {},
  requestId: 'req-1',
  baseUrl: 'http://x/fhir',
  caller: { principal: scope === 'admin' ? 'operator' : 'producer', scope },
  ...(body === undefined ? {} : { body }),
});

describe('Operation: $reset-version (DynamoDB ledger and delivered versions, through the router)', () => {
  let aws: AwsStandins;
  let dynamo: DynamoDBClient;
  let ledger: DynamoVersionLedger;
  let delivered: DynamoDeliveredVersions;
  let route: ReturnType<typeof createIngestRouter>;
  const queue = new RecordingQueue();
  const logs: LogLine[] = [];

  beforeAll(async () => {
    aws = await startAwsStandins();
    const { stateTable: tableName } = await createConnectorResources({
      endpoints: aws,
      names: { prefix: 'reset-test' },
    });
    dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
    const client = DynamoDBDocumentClient.from(dynamo);
    ledger = new DynamoVersionLedger({ client, tableName });
    delivered = new DynamoDeliveredVersions(client, tableName);
    const reset = new DynamoVersionStateReset({ client, tableName });
    const logger = {
      info: (message: string, attributes: Record<string, unknown>) => logs.push({ message, attributes }),
    };
    route = createIngestRouter({
      pipeline: new DefaultWritePipeline({ ledger, matcher: new FakeMatcher(), queue, now: () => NOW }),
      now: () => NOW,
      routes: [(r) => handleResetVersion(r, { reset, logger })],
    });
  });

  afterAll(async () => {
    dynamo?.destroy();
    await aws?.stop();
  });

  const pin = async (id: string) => {
    await ledger.recordSourceVersion(`Patient/${id}`, PINNED);
    for (const endpoint of [ENDPOINT_A, ENDPOINT_B]) {
      await delivered.record({ resourceKey: `Patient/${id}`, endpoint }, PINNED);
    }
  };
  const update = (id: string, versionId: string) =>
    route(
      request('PUT', `Patient/${id}`, patient({ id, meta: { versionId, lastUpdated: NOW.toISOString() } })),
    );

  it('unpins one resource: the next real update is recorded and enqueued', async () => {
    await pin('p1');
    await pin('p2');
    expect((await update('p1', '2')).body).toMatchObject({ issue: [{ code: 'informational' }] }); // stale
    queue.messages.length = 0;

    const response = await route(request('POST', 'Patient/p1/$reset-version'));
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).toContain(
      '1 version ledger entry and 2 delivered-version record(s)',
    );
    expect(await ledger.getLatest(['Patient/p1'])).toEqual(new Map());
    expect(await delivered.getMany([{ resourceKey: 'Patient/p1', endpoint: ENDPOINT_A }])).toEqual(new Map());
    // The other resource keeps its state.
    expect((await ledger.getLatest(['Patient/p2'])).get('Patient/p2')?.versionId).toBe('999999999');

    expect((await update('p1', '2')).status).toBe(200);
    expect(queue.messages.map((message) => `${message.id} v${message.versionId}`)).toEqual(['p1 v2']);
  });

  it('unpins every resource of a type, and only that type', async () => {
    await pin('t1');
    await pin('t2');
    await ledger.recordSourceVersion('Observation/o1', PINNED);
    const response = await route(request('POST', 'Patient/$reset-version'));
    expect(response.status).toBe(200);
    const latest = await ledger.getLatest(['Patient/t1', 'Patient/t2', 'Observation/o1']);
    expect([...latest.keys()]).toEqual(['Observation/o1']);
  });

  it('logs each reset by type, id and counts, without content', async () => {
    const line = logs.find((entry) => entry.attributes.id === 'p1');
    expect(line).toEqual({
      message: 'Version state reset',
      attributes: {
        requestId: 'req-1',
        resourceType: 'Patient',
        id: 'p1',
        scope: 'resource',
        ledgerEntries: 1,
        deliveredVersions: 2,
      },
    });
    expect(logs.find((entry) => entry.attributes.scope === 'type')?.attributes).toMatchObject({
      resourceType: 'Patient',
      ledgerEntries: 4, // p1 (written again after its reset), p2, t1, t2
    });
  });

  it('answers a write-scoped token 403 and changes nothing', async () => {
    await pin('guarded');
    const response = await route(request('POST', 'Patient/guarded/$reset-version', undefined, 'write'));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ resourceType: 'OperationOutcome' });
    expect((await ledger.getLatest(['Patient/guarded'])).size).toBe(1);
  });

  it('refuses other methods, unknown types and invalid ids without touching anything', async () => {
    await pin('keep');
    expect((await route(request('GET', 'Patient/keep/$reset-version'))).status).toBe(405);
    expect((await route(request('POST', 'Nonsense/$reset-version'))).status).toBe(404);
    expect((await route(request('POST', 'Subscription/$reset-version'))).status).toBe(404);
    expect((await route(request('POST', 'Patient/..%2F../$reset-version'))).status).toBe(400);
    expect((await ledger.getLatest(['Patient/keep'])).size).toBe(1);
  });
});

describe('Class: InMemoryVersionStateReset', () => {
  it('clears ledger entries and delivered versions of the scope only', async () => {
    const ledger = new InMemoryVersionLedger();
    const delivered = new InMemoryDeliveredVersions();
    await ledger.recordSourceVersion('Patient/a', PINNED);
    await ledger.recordSourceVersion('PatientX/a', PINNED);
    await delivered.record({ resourceKey: 'Patient/a', endpoint: ENDPOINT_A }, PINNED);
    const reset = new InMemoryVersionStateReset(ledger, delivered);
    expect(await reset.reset({ resourceType: 'Patient' })).toEqual({
      ledgerEntries: 1,
      deliveredVersions: 1,
    });
    expect([...(await ledger.getLatest(['Patient/a', 'PatientX/a'])).keys()]).toEqual(['PatientX/a']);
  });
});
