import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import {
  DynamoVersionLedger,
  type LedgerDocumentClient,
} from '../../../shared/versions/DynamoVersionLedger.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import type { VersionLedger } from '../../../shared/versions/VersionLedger.js';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const T3 = '2024-01-03T00:00:00.000Z';

describe('Class: DynamoVersionLedger (against dynalite)', () => {
  let aws: AwsStandins;
  let dynamo: DynamoDBClient;
  let ledger: DynamoVersionLedger;
  let counter = 0;
  const key = () => `Patient/p${(counter += 1)}`;

  beforeAll(async () => {
    aws = await startAwsStandins();
    const resources = await createConnectorResources({
      endpoints: aws,
      names: { prefix: 'ledger-test' },
    });
    dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
    ledger = new DynamoVersionLedger({
      client: DynamoDBDocumentClient.from(dynamo),
      tableName: resources.stateTable,
    });
  });

  afterAll(async () => {
    dynamo?.destroy();
    await aws?.stop();
  });

  it('records a first source version, then answers current for the same and stale for an older one', async () => {
    const k = key();
    expect(
      (await ledger.recordSourceVersion(k, { versionId: '2', lastUpdated: T2, deleted: false })).status,
    ).toBe('recorded');
    expect(
      (await ledger.recordSourceVersion(k, { versionId: '2', lastUpdated: T2, deleted: false })).status,
    ).toBe('current');
    const stale = await ledger.recordSourceVersion(k, { versionId: '1', lastUpdated: T3, deleted: false });
    expect(stale).toEqual({ status: 'stale', latest: { versionId: '2', lastUpdated: T2, deleted: false } });
  });

  it('compares integer versions as numbers, not strings', async () => {
    const k = key();
    await ledger.recordSourceVersion(k, { versionId: '9', lastUpdated: T1, deleted: false });
    expect(
      (await ledger.recordSourceVersion(k, { versionId: '10', lastUpdated: T1, deleted: false })).status,
    ).toBe('recorded');
    expect((await ledger.getLatest([k])).get(k)?.versionId).toBe('10');
  });

  it('orders opaque version ids by lastUpdated', async () => {
    const k = key();
    await ledger.recordSourceVersion(k, { versionId: 'b', lastUpdated: T2, deleted: false });
    expect(
      (await ledger.recordSourceVersion(k, { versionId: 'a', lastUpdated: T1, deleted: false })).status,
    ).toBe('stale');
    expect(
      (await ledger.recordSourceVersion(k, { versionId: 'c', lastUpdated: T3, deleted: false })).status,
    ).toBe('recorded');
    // Same opaque id, later instant: still the same version.
    expect(
      (await ledger.recordSourceVersion(k, { versionId: 'c', lastUpdated: T3, deleted: false })).status,
    ).toBe('current');
  });

  it('assigns 1, 2, ... and recognises a retried identical write by its content hash', async () => {
    const k = key();
    const first = await ledger.assignNextVersion(k, { deleted: false, contentHash: 'h1', lastUpdated: T1 });
    expect(first).toEqual({
      status: 'recorded',
      latest: { versionId: '1', lastUpdated: T1, deleted: false, contentHash: 'h1' },
    });
    expect(
      (await ledger.assignNextVersion(k, { deleted: false, contentHash: 'h1', lastUpdated: T2 })).status,
    ).toBe('current');
    const second = await ledger.assignNextVersion(k, { deleted: false, contentHash: 'h2', lastUpdated: T2 });
    expect(second.latest.versionId).toBe('2');
    const deleted = await ledger.assignNextVersion(k, { deleted: true, lastUpdated: T3 });
    expect(deleted.latest).toMatchObject({ versionId: '3', deleted: true });
    expect((await ledger.assignNextVersion(k, { deleted: true, lastUpdated: T3 })).status).toBe('current');
  });

  it('agrees with the in-memory reference on a mixed sequence', async () => {
    const k = key();
    const reference: VersionLedger = new InMemoryVersionLedger();
    const steps: Array<(l: VersionLedger) => Promise<unknown>> = [
      (l) => l.recordSourceVersion(k, { versionId: '3', lastUpdated: T2, deleted: false }),
      (l) => l.assignNextVersion(k, { deleted: false, contentHash: 'x', lastUpdated: T3 }),
      (l) => l.recordSourceVersion(k, { versionId: '2', lastUpdated: T3, deleted: false }),
      (l) => l.recordSourceVersion(k, { versionId: 'opaque', lastUpdated: T1, deleted: false }),
      (l) =>
        l.recordSourceVersion(k, { versionId: 'later', lastUpdated: '2030-01-01T00:00:00Z', deleted: false }),
      (l) => l.assignNextVersion(k, { deleted: true, lastUpdated: T3 }),
    ];
    for (const step of steps) {
      expect(await step(ledger)).toEqual(await step(reference));
    }
  });

  it('stores the endpoints a version was enqueued for and returns them with it', async () => {
    const k = key();
    const endpoints = [
      'https://healthlake.us-east-1.amazonaws.com/datastore/aaaa/r4/',
      'https://healthlake.us-east-1.amazonaws.com/datastore/bbbb/r4/',
    ];
    await ledger.recordSourceVersion(k, { versionId: '2', lastUpdated: T2, deleted: false, endpoints });
    expect((await ledger.getLatest([k])).get(k)?.endpoints).toEqual(endpoints);
    // A retry (current) and an older write (stale) both see the stored entry, endpoints included.
    const retry = await ledger.recordSourceVersion(k, { versionId: '2', lastUpdated: T2, deleted: false });
    expect(retry).toEqual({
      status: 'current',
      latest: { versionId: '2', lastUpdated: T2, deleted: false, endpoints },
    });
    const stale = await ledger.recordSourceVersion(k, {
      versionId: '1',
      lastUpdated: T1,
      deleted: false,
      endpoints: [],
    });
    expect(stale).toMatchObject({ status: 'stale', latest: { versionId: '2', endpoints } });
    // A newer version that went to no endpoint records an empty list, not an absent one.
    await ledger.recordSourceVersion(k, { versionId: '3', lastUpdated: T3, deleted: false, endpoints: [] });
    expect((await ledger.getLatest([k])).get(k)).toEqual({
      versionId: '3',
      lastUpdated: T3,
      deleted: false,
      endpoints: [],
    });
  });

  it('carries endpoints through assigned versions, opaque ids and entries written without them', async () => {
    const k = key();
    const endpoint = 'https://healthlake.us-east-1.amazonaws.com/datastore/aaaa/r4/';
    const first = await ledger.assignNextVersion(k, {
      deleted: false,
      contentHash: 'h1',
      lastUpdated: T1,
      endpoints: [endpoint],
    });
    expect(first.latest.endpoints).toEqual([endpoint]);
    const retry = await ledger.assignNextVersion(k, {
      deleted: false,
      contentHash: 'h1',
      lastUpdated: T2,
      endpoints: [],
    });
    expect(retry).toMatchObject({ status: 'current', latest: { versionId: '1', endpoints: [endpoint] } });
    const deleted = await ledger.assignNextVersion(k, { deleted: true, lastUpdated: T2, endpoints: [] });
    expect((await ledger.getLatest([k])).get(k)).toMatchObject({
      versionId: '2',
      deleted: true,
      endpoints: [],
    });
    expect(deleted.latest.endpoints).toEqual([]);

    const opaque = key();
    await ledger.recordSourceVersion(opaque, { versionId: 'a', lastUpdated: T1, deleted: false });
    expect((await ledger.getLatest([opaque])).get(opaque)).not.toHaveProperty('endpoints');
    await ledger.recordSourceVersion(opaque, {
      versionId: 'b',
      lastUpdated: T2,
      deleted: false,
      endpoints: [endpoint],
    });
    expect((await ledger.getLatest([opaque])).get(opaque)?.endpoints).toEqual([endpoint]);
  });

  it('reads many keys with BatchGet in chunks of 100', async () => {
    const keys = Array.from({ length: 230 }, (_, index) => `Observation/batch-${index}`);
    await Promise.all(
      keys
        .filter((_, index) => index % 2 === 0)
        .map((k) => ledger.recordSourceVersion(k, { versionId: '1', lastUpdated: T1, deleted: false })),
    );
    const latest = await ledger.getLatest(keys);
    expect(latest.size).toBe(115);
    expect(latest.get('Observation/batch-228')?.versionId).toBe('1');
    expect(latest.has('Observation/batch-229')).toBe(false);
  });

  it('hands out every assigned version exactly once under a concurrent burst', async () => {
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        ledger.assignNextVersion(k, { deleted: false, contentHash: `c${index}`, lastUpdated: T1 }),
      ),
    );
    const versions = results.map((result) => Number(result.latest.versionId)).sort((a, b) => a - b);
    expect(results.every((result) => result.status === 'recorded')).toBe(true);
    expect(versions).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect((await ledger.getLatest([k])).get(k)?.versionId).toBe('40');
  });

  it('keeps the highest source version under a concurrent burst in random order', async () => {
    const k = key();
    const order = Array.from({ length: 40 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      order.map((version) =>
        ledger.recordSourceVersion(k, { versionId: String(version), lastUpdated: T1, deleted: false }),
      ),
    );
    expect((await ledger.getLatest([k])).get(k)?.versionId).toBe('40');
    const recorded40 = results[order.indexOf(40)];
    expect(recorded40?.status).toBe('recorded');
  });
});

describe('Class: DynamoVersionLedger (stored item returned with a failed condition)', () => {
  it('reads the endpoints of an ALL_OLD item given as raw attribute values', async () => {
    const sent: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        throw Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
          Item: {
            pk: { S: 'RES#Patient/p1' },
            sk: { S: 'LATEST' },
            versionId: { S: '5' },
            versionNum: { N: '5' },
            lastUpdated: { S: T3 },
            deleted: { BOOL: false },
            endpoints: { L: [{ S: 'https://healthlake.us-east-1.amazonaws.com/datastore/aaaa/r4/' }] },
          },
        });
      },
    } as unknown as LedgerDocumentClient;
    const ledger = new DynamoVersionLedger({ client, tableName: 'state' });
    const result = await ledger.recordSourceVersion('Patient/p1', {
      versionId: '4',
      lastUpdated: T2,
      deleted: false,
      endpoints: [],
    });
    expect(result).toEqual({
      status: 'stale',
      latest: {
        versionId: '5',
        lastUpdated: T3,
        deleted: false,
        endpoints: ['https://healthlake.us-east-1.amazonaws.com/datastore/aaaa/r4/'],
      },
    });
    expect(sent).toEqual(['PutCommand']);
  });
});
