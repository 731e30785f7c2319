import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryDeliveryAttempts } from '../../../shared/delivery/deliveryAttempts.js';
import { messageGroupId, type DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { PgSqlClient } from '../../../shared/sqlTarget/PgSqlClient.js';
import { sqlVersionOf } from '../../../shared/sqlTarget/sqlVersion.js';
import type { CompiledMapping } from '../../../shared/sqlTarget/types.js';
import { sqlTargetName } from '../../../shared/subscriptions/sqlEndpoint.js';
import {
  writeSqlBatch,
  type SqlRecord,
  type SqlWriterDeps,
} from '../../../shared/sqlWriter/writeSqlBatch.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { startTestDatabase, type TestDatabase } from '../../helpers/sqlDatabases.js';
import { OBSERVATION_MAPPING, observation } from '../../helpers/sqlMappings.js';

const ENDPOINT = 'sql://warehouse';
let sequence = 0;

const record = (message: DeliveryMessage | string, attempt = 1): SqlRecord => ({
  messageId: `m${++sequence}`,
  body: typeof message === 'string' ? message : JSON.stringify(message),
  groupId: typeof message === 'string' ? 'raw' : messageGroupId(message),
  attempt,
});

const upsert = (id: string, versionId: string, resource = observation(id)): DeliveryMessage =>
  deliveryMessage({
    resourceType: 'Observation',
    id,
    versionId,
    payload: { kind: 'inline', resource },
    subscription: { endpoint: ENDPOINT, maxAttempts: 3 },
  });
const remove = (id: string, versionId: string): DeliveryMessage =>
  deliveryMessage({
    resourceType: 'Observation',
    id,
    versionId,
    operation: 'delete',
    subscription: { endpoint: ENDPOINT },
  });

describe('Function: sqlTargetName and sqlVersionOf', () => {
  it('reads the target of a sql:// endpoint and nothing else', () => {
    expect(sqlTargetName('sql://warehouse')).toBe('warehouse');
    expect(sqlTargetName('sql://warehouse/')).toBe('warehouse');
    expect(sqlTargetName('sql://Ware House')).toBeUndefined();
    expect(sqlTargetName('https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/')).toBeUndefined();
  });

  it('takes an integer versionId, else lastUpdated in epoch milliseconds', () => {
    expect(sqlVersionOf({ versionId: '12', lastUpdated: '2026-01-01T00:00:00Z' })).toBe(12);
    expect(sqlVersionOf({ versionId: 'b0c6f3', lastUpdated: '2026-01-01T00:00:00Z' })).toBe(
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(sqlVersionOf({ versionId: 'x', lastUpdated: 'never' })).toBeUndefined();
  });
});

describe('Function: writeSqlBatch (PGlite)', () => {
  let database: TestDatabase;
  let mapping: CompiledMapping;
  let deps: SqlWriterDeps;
  const count = async (id: string) =>
    Number(
      (await database.client.query(`SELECT count(*) AS n FROM "${mapping.schema}".obs WHERE id = $1`, [id]))
        .rows[0]?.n,
    );

  beforeAll(async () => {
    database = await startTestDatabase('PGlite');
    mapping = await database.prepare(OBSERVATION_MAPPING, database.newSchema());
    deps = {
      targets: new Map([['warehouse', { client: database.client, mapping }]]),
      defaultMaxAttempts: 5,
      now: () => Date.parse('2026-02-01T00:00:00Z'),
    };
  });
  afterAll(async () => {
    await database?.stop();
  });

  it('writes upserts and deletes of a batch, reporting the tables and row counts of each', async () => {
    const settlements = await writeSqlBatch(
      [record(upsert('w1', '1')), record(upsert('w2', '1')), record(remove('w2', '2'))],
      deps,
    );
    expect(settlements.map((s) => s.disposition)).toEqual(['done', 'done', 'done']);
    expect(settlements[0]).toMatchObject({
      summary: {
        resourceType: 'Observation',
        id: 'w1',
        versionId: '1',
        operation: 'upsert',
        subscriptionId: 'sub-1',
      },
      result: { outcome: 'applied', written: { obs: 1, obs_component: 2, obs_component_coding: 3 } },
    });
    expect(settlements[2]).toMatchObject({
      result: { outcome: 'applied', deleted: { obs: 1, obs_component: 2 } },
    });
    expect([await count('w1'), await count('w2')]).toEqual([1, 0]);
  });

  it('settles an older version arriving late as done, changing nothing', async () => {
    await writeSqlBatch([record(upsert('late', '4', observation('late', { status: 'final' })))], deps);
    const [late] = await writeSqlBatch(
      [record(upsert('late', '3', observation('late', { status: 'cancelled' })))],
      deps,
    );
    expect(late).toMatchObject({ disposition: 'done', result: { outcome: 'unchanged' } });
  });

  it('dead-letters a value that does not fit with a cause naming table, column and resource, never the value', async () => {
    const [bad, good] = await writeSqlBatch(
      [record(upsert('big', '1', observation('big', { value: 3_000_000_000 }))), record(upsert('fine', '1'))],
      deps,
    );
    expect(bad).toMatchObject({
      disposition: 'dead-letter',
      kind: 'terminal',
      cause: {
        reason: 'sql-write',
        attempt: 1,
        diagnostics:
          'The value of column "rank" of table "obs" for Observation/big does not fit: is outside the range of an integer column',
      },
    });
    expect(JSON.stringify(bad)).not.toContain('3000000000');
    expect(good?.disposition).toBe('done');
  });

  it('dead-letters invalid messages and endpoints that are not a configured target', async () => {
    const [invalid, unknown, healthLake] = await writeSqlBatch(
      [
        record('{"schema":"nope"}'),
        record(deliveryMessage({ subscription: { endpoint: 'sql://elsewhere' } })),
        record(deliveryMessage()),
      ],
      deps,
    );
    expect(invalid).toMatchObject({
      disposition: 'dead-letter',
      kind: 'invalid-message',
      cause: { reason: 'invalid-message' },
    });
    for (const settlement of [unknown, healthLake])
      expect(settlement).toMatchObject({
        disposition: 'dead-letter',
        kind: 'terminal',
        cause: { reason: 'endpoint-not-allowed' },
      });
  });

  it('retries while the database is down, then dead-letters when the attempts are used up', async () => {
    const down = new PgSqlClient({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectTimeoutMs: 1_000,
    });
    try {
      const downDeps = { ...deps, targets: new Map([['warehouse', { client: down, mapping }]]) };
      const [first] = await writeSqlBatch([record(upsert('d1', '1'), 1)], downDeps);
      expect(first).toMatchObject({ disposition: 'retry', cause: { reason: 'sql-write', attempt: 1 } });
      const [last] = await writeSqlBatch([record(upsert('d1', '1'), 3)], downDeps);
      expect(last).toMatchObject({
        disposition: 'dead-letter',
        kind: 'retries-exhausted',
        cause: { attempt: 3 },
      });
    } finally {
      await down.close();
    }
  });

  it('counts attempts per message, not receives: a record held back behind its group spends none and is not dead-lettered early', async () => {
    const down = new PgSqlClient({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectTimeoutMs: 1_000,
    });
    // The first message of the group waits on S3 (unreachable); the second is received but not tried.
    const s3 = { send: () => Promise.reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })) };
    const blocked = deliveryMessage({
      resourceType: 'Observation',
      id: 'h1',
      versionId: '1',
      payload: { kind: 's3', bucket: 'payloads', key: 'h1', bytes: 10, sha256: 'a'.repeat(64) },
      subscription: { endpoint: ENDPOINT, maxAttempts: 3 },
    });
    const behind = upsert('h1', '2');
    try {
      const attempts = new InMemoryDeliveryAttempts();
      const counted = { ...deps, s3, attempts };
      for (const receive of [1, 2]) {
        const [first, second] = await writeSqlBatch(
          [
            { ...record(blocked, receive), messageId: 'blocked' },
            { ...record(behind, receive), messageId: 'behind' },
          ],
          counted,
        );
        expect(first).toMatchObject({ disposition: 'retry', cause: { attempt: receive } });
        expect(second).toMatchObject({
          disposition: 'retry',
          cause: { diagnostics: 'held back behind an earlier message of its group' },
        });
      }
      // Only the record that was tried spent attempts.
      expect(attempts.size).toBe(1);

      // On its third receive (its subscription allows 3 attempts) it is tried against a database that
      // is down: its first attempt, retried.
      const downDeps = { ...counted, targets: new Map([['warehouse', { client: down, mapping }]]) };
      const [tried] = await writeSqlBatch([{ ...record(behind, 3), messageId: 'behind' }], downDeps);
      expect(tried).toMatchObject({ disposition: 'retry', cause: { reason: 'sql-write', attempt: 1 } });
      // Counting receives instead, the same record would have been dead-lettered on its first attempt.
      const { attempts: _store, ...byReceives } = downDeps;
      const [early] = await writeSqlBatch([{ ...record(behind, 3), messageId: 'behind' }], byReceives);
      expect(early).toMatchObject({ disposition: 'dead-letter', kind: 'retries-exhausted' });
    } finally {
      await down.close();
    }
  });

  it('retries a record whose attempt cannot be counted, never dead-letters it on a guess', async () => {
    const down = new PgSqlClient({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectTimeoutMs: 1_000,
    });
    const warnings: unknown[] = [];
    try {
      const [settlement] = await writeSqlBatch([record(upsert('u1', '1'), 9)], {
        ...deps,
        targets: new Map([['warehouse', { client: down, mapping }]]),
        attempts: { failed: () => Promise.reject(new Error('throttled')) },
        warn: (message, details) => warnings.push({ message, ...details }),
      });
      expect(settlement).toMatchObject({ disposition: 'retry', cause: { attempt: 9 } });
      expect(warnings).toEqual([expect.objectContaining({ error: 'Error', messageId: expect.any(String) })]);
    } finally {
      await down.close();
    }
  });
});
