import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../../shared/sqlTarget/applyChanges.js';
import { checkSchema } from '../../../shared/sqlTarget/checkSchema.js';
import { compileMapping } from '../../../shared/sqlTarget/compileMapping.js';
import { generateDdl } from '../../../shared/sqlTarget/generateDdl.js';
import { PgSqlClient } from '../../../shared/sqlTarget/PgSqlClient.js';
import type { CompiledMapping, SqlChange } from '../../../shared/sqlTarget/types.js';
import {
  DATABASE_KINDS,
  REAL_POSTGRES_SKIP_MESSAGE,
  REAL_POSTGRES_URL,
  startTestDatabase,
  type TestDatabase,
} from '../../helpers/sqlDatabases.js';
import { OBSERVATION_MAPPING as MAPPING, observation } from '../../helpers/sqlMappings.js';

const PSQL = execFileSync('sh', ['-c', 'command -v psql || true'], { encoding: 'utf8' }).trim();

const upsert = (
  id: string,
  version: number,
  resource: Record<string, unknown> = observation(id),
): SqlChange => ({
  operation: 'upsert',
  resourceType: 'Observation',
  id,
  version,
  resource,
});
const remove = (id: string, version: number): SqlChange => ({
  operation: 'delete',
  resourceType: 'Observation',
  id,
  version,
});

describe.each(DATABASE_KINDS)('Function: applyChanges (%s)', (kind) => {
  let database: TestDatabase;
  let mapping: CompiledMapping;
  let schema: string;
  const rows = async (sql: string) =>
    (await database.client.query(sql.replaceAll('$schema', `"${schema}"`))).rows;
  const counts = async (id: string) => ({
    obs: Number((await rows(`SELECT count(*) AS n FROM $schema.obs WHERE id = '${id}'`))[0]?.n),
    components: Number(
      (await rows(`SELECT count(*) AS n FROM $schema.obs_component WHERE source_resource_id = '${id}'`))[0]
        ?.n,
    ),
    codings: Number(
      (
        await rows(
          `SELECT count(*) AS n FROM $schema.obs_component_coding WHERE source_resource_id = '${id}'`,
        )
      )[0]?.n,
    ),
  });

  beforeAll(async () => {
    database = await startTestDatabase(kind);
    schema = database.newSchema();
    mapping = await database.prepare(MAPPING, schema, { foreignKeys: true });
  });
  afterAll(async () => {
    await database?.stop();
  });

  it('finds the schema it created complete, and creating it again changes nothing', async () => {
    for (const statement of generateDdl(mapping, { foreignKeys: true }))
      await database.client.query(statement);
    expect(await checkSchema(database.client, mapping)).toEqual([]);
  });

  it('writes each SQL type from its FHIRPath as PostgreSQL stores it', async () => {
    const [result] = await applyChanges(database.client, mapping, [upsert('types', 1)]);
    expect(result).toMatchObject({
      outcome: 'applied',
      written: { obs: 1, obs_component: 2, obs_component_coding: 3 },
    });
    expect(
      await rows(
        `SELECT id, version::text, status, value::text, component_count, rank, has_value, day::text, ` +
          `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at_utc, code->>'text' AS code_text ` +
          `FROM $schema.obs WHERE id = 'types'`,
      ),
    ).toEqual([
      {
        id: 'types',
        version: '1',
        status: 'final',
        value: '72.5',
        component_count: 2,
        rank: null,
        has_value: true,
        day: '2012-06-02',
        at_utc: '2012-06-03 04:37:03',
        code_text: 'Blood pressure',
      },
    ]);
    expect(
      await rows(
        `SELECT c.value::text, g.code, c.parent_reference, g.parent_reference = c.id AS nested FROM $schema.obs_component c ` +
          `JOIN $schema.obs_component_coding g ON g.parent_reference = c.id WHERE c.source_resource_id = 'types' ORDER BY g.code`,
      ),
    ).toEqual([
      { value: '101', code: '8462-4', parent_reference: 'types', nested: true },
      { value: '100', code: '8480-6', parent_reference: 'types', nested: true },
      { value: '101', code: 'x', parent_reference: 'types', nested: true },
    ]);
  });

  it('replaces the row and every child row with a newer version', async () => {
    await applyChanges(database.client, mapping, [upsert('replaced', 1)]);
    const before = await rows(`SELECT id FROM $schema.obs_component WHERE source_resource_id = 'replaced'`);
    const [result] = await applyChanges(database.client, mapping, [
      upsert('replaced', 2, observation('replaced', { status: 'amended', components: [['9999-9']] })),
    ]);
    expect(result).toMatchObject({
      outcome: 'applied',
      written: { obs: 1, obs_component: 1, obs_component_coding: 1 },
    });
    expect(await rows(`SELECT version::text, status FROM $schema.obs WHERE id = 'replaced'`)).toEqual([
      { version: '2', status: 'amended' },
    ]);
    expect(
      await rows(`SELECT code FROM $schema.obs_component_coding WHERE source_resource_id = 'replaced'`),
    ).toEqual([{ code: '9999-9' }]);
    const after = await rows(`SELECT id FROM $schema.obs_component WHERE source_resource_id = 'replaced'`);
    expect(after.some((row) => before.some((old) => old.id === row.id))).toBe(false);
  });

  it('changes nothing for an older version arriving late, or the same version again', async () => {
    await applyChanges(database.client, mapping, [
      upsert('late', 5, observation('late', { status: 'final' })),
    ]);
    const results = await applyChanges(database.client, mapping, [
      upsert('late', 4, observation('late', { status: 'preliminary', components: [] })),
      upsert('late', 5, observation('late', { status: 'cancelled' })),
    ]);
    expect(results.map((r) => [r.outcome, r.written])).toEqual([
      ['unchanged', {}],
      ['unchanged', {}],
    ]);
    expect(await rows(`SELECT version::text, status FROM $schema.obs WHERE id = 'late'`)).toEqual([
      { version: '5', status: 'final' },
    ]);
    expect(await counts('late')).toEqual({ obs: 1, components: 2, codings: 3 });
  });

  it('deletes the row and its child rows in one change, and an older version arriving late does not bring them back', async () => {
    await applyChanges(database.client, mapping, [upsert('gone', 2)]);
    const [deleted] = await applyChanges(database.client, mapping, [remove('gone', 3)]);
    expect(deleted).toMatchObject({
      outcome: 'applied',
      deleted: { obs: 1, obs_component: 2, obs_component_coding: 3 },
    });
    expect(await counts('gone')).toEqual({ obs: 0, components: 0, codings: 0 });
    const [late] = await applyChanges(database.client, mapping, [upsert('gone', 2)]);
    expect(late?.outcome).toBe('unchanged');
    expect(await counts('gone')).toEqual({ obs: 0, components: 0, codings: 0 });
    const [again] = await applyChanges(database.client, mapping, [remove('gone', 3)]);
    expect(again?.outcome).toBe('unchanged');
    const [recreated] = await applyChanges(database.client, mapping, [upsert('gone', 4)]);
    expect(recreated?.outcome).toBe('applied');
    expect(await counts('gone')).toEqual({ obs: 1, components: 2, codings: 3 });
  });

  it('leaves a newer row in place when an older delete arrives, and records a delete of a resource never written', async () => {
    await applyChanges(database.client, mapping, [upsert('kept', 7)]);
    const [stale, unseen] = await applyChanges(database.client, mapping, [
      remove('kept', 6),
      remove('never', 2),
    ]);
    expect(stale).toMatchObject({ outcome: 'unchanged', deleted: {} });
    expect(unseen).toMatchObject({ outcome: 'applied', deleted: {} });
    expect(await counts('kept')).toEqual({ obs: 1, components: 2, codings: 3 });
    const [late] = await applyChanges(database.client, mapping, [upsert('never', 1)]);
    expect(late?.outcome).toBe('unchanged');
  });

  it('applies several versions of one resource in one call in order', async () => {
    const results = await applyChanges(database.client, mapping, [
      upsert('sequence', 1),
      upsert('sequence', 2, observation('sequence', { status: 'amended' })),
      remove('sequence', 3),
      upsert('other', 1),
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(await counts('sequence')).toEqual({ obs: 0, components: 0, codings: 0 });
    expect(await counts('other')).toEqual({ obs: 1, components: 2, codings: 3 });
  });

  it('fails only the resource whose value does not fit, naming table, column, type and id, never the value', async () => {
    const results = await applyChanges(database.client, mapping, [
      upsert('fits-1', 1),
      upsert('too-big', 1, observation('too-big', { value: 3_000_000_000 })),
      upsert('fits-2', 1),
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'failed', 'applied']);
    expect(results[1]?.error?.terminal).toBe(true);
    expect(results[1]?.error?.message).toBe(
      'The value of column "rank" of table "obs" for Observation/too-big does not fit: is outside the range of an integer column',
    );
    expect(results[1]?.error?.message).not.toContain('3000000000');
    expect(await counts('too-big')).toEqual({ obs: 0, components: 0, codings: 0 });
  });

  it('fails only the resource that breaks a constraint, retrying its batch one resource at a time', async () => {
    await database.client.query(
      `ALTER TABLE "${schema}".obs ADD CONSTRAINT obs_status_known CHECK (status <> 'entered-in-error')`,
    );
    try {
      const results = await applyChanges(database.client, mapping, [
        upsert('c-1', 1),
        upsert('c-bad', 1, observation('c-bad', { status: 'entered-in-error' })),
        upsert('c-2', 1),
      ]);
      expect(results.map((r) => r.outcome)).toEqual(['applied', 'failed', 'applied']);
      expect(results[1]?.error).toMatchObject({ terminal: true, sqlState: '23514', table: 'obs' });
      expect(results[1]?.error?.message).toBe(
        'PostgreSQL refused the write of Observation/c-bad, to table "obs", constraint "obs_status_known": SQLSTATE 23514 check_violation',
      );
      expect(await counts('c-1')).toEqual({ obs: 1, components: 2, codings: 3 });
      expect(await counts('c-bad')).toEqual({ obs: 0, components: 0, codings: 0 });
    } finally {
      await database.client.query(`ALTER TABLE "${schema}".obs DROP CONSTRAINT obs_status_known`);
    }
  });

  it('reports unmapped types and refuses malformed changes without writing', async () => {
    const results = await applyChanges(database.client, mapping, [
      {
        operation: 'upsert',
        resourceType: 'Claim',
        id: 'c1',
        version: 1,
        resource: { resourceType: 'Claim' },
      },
      upsert('../etc', 1),
      upsert('bad-version', 1.5),
      upsert('mismatch', 1, { resourceType: 'Patient', id: 'mismatch' }),
      upsert('other-id', 1, observation('not-the-same')),
      { operation: 'delete', resourceType: 'Jane Smith', id: 'x', version: 1 },
    ]);
    expect(results.map((r) => [r.outcome, r.error?.terminal, r.error?.message])).toEqual([
      ['unmapped', undefined, undefined],
      ['failed', true, 'Change to Observation refused: its id is not a FHIR id'],
      ['failed', true, 'Change to Observation refused: its version is not a non-negative integer'],
      ['failed', true, 'Change to Observation refused: its resourceType does not match'],
      ['failed', true, 'Change to Observation refused: its id does not match'],
      ['failed', true, 'Change to a resource refused: its resource type is not a FHIR resource type'],
    ]);
  });

  it('reports every missing table, missing column, other type and missing key of an existing schema', async () => {
    const partial = database.newSchema();
    await database.client.query(`CREATE SCHEMA "${partial}"`);
    await database.client.query(
      `CREATE TABLE "${partial}".obs (id text, version integer, status integer, value numeric, component_count integer, ` +
        `rank integer, has_value boolean, day date, at timestamptz)`,
    );
    await database.client.query(
      `CREATE TABLE "${partial}".obs_component (id text, parent_reference text, source_resource_id text)`,
    );
    const problems = await checkSchema(database.client, compileMapping({ ...MAPPING, schema: partial }));
    expect(problems).toEqual([
      `table "${partial}"."hlc_tombstone" is missing (the connector (deletions))`,
      'column "status" of table "obs" is integer; the mapping needs text',
      'table "obs" has no column "code" (jsonb)',
      'table "obs" has no primary key or unique constraint on (id)',
      'table "obs_component" has no column "value" (numeric)',
      `table "${partial}"."obs_component_coding" is missing (Observation)`,
    ]);
  });

  it('fails every change as transient when the database cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const unreachable = new PgSqlClient({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      connectTimeoutMs: 2_000,
    });
    try {
      const results = await applyChanges(unreachable, mapping, [upsert('down-1', 1), remove('down-2', 1)]);
      expect(results.map((r) => [r.outcome, r.error?.terminal, r.error?.message])).toEqual([
        ['failed', false, 'PostgreSQL could not be reached or the connection failed (ECONNREFUSED)'],
        ['failed', false, 'PostgreSQL could not be reached or the connection failed (ECONNREFUSED)'],
      ]);
    } finally {
      await unreachable.close();
    }
  });
});

describe.each(DATABASE_KINDS)('Class: PgSqlClient (%s)', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.stop();
  });

  it('rolls a transaction back when its work throws, and commits when it resolves', async () => {
    const schema = database.newSchema();
    await database.client.query(`CREATE SCHEMA "${schema}"`);
    await database.client.query(`CREATE TABLE "${schema}".t (n integer)`);
    await expect(
      database.client.transaction(async (tx) => {
        await tx.query(`INSERT INTO "${schema}".t VALUES ($1)`, [1]);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    await database.client.transaction((tx) => tx.query(`INSERT INTO "${schema}".t VALUES ($1)`, [2]));
    expect((await database.client.query(`SELECT n FROM "${schema}".t`)).rows).toEqual([{ n: 2 }]);
  });

  it('returns dates as their text, not a JavaScript Date at local midnight', async () => {
    expect((await database.client.query(`SELECT $1::date AS d`, ['1987-06-15'])).rows).toEqual([
      { d: '1987-06-15' },
    ]);
  });

  it('runs prepared statements by name when asked, the same as unnamed ones', async () => {
    const prepared = new PgSqlClient({
      connectionString: database.url,
      prepareStatements: true,
      maxConnections: 1,
    });
    try {
      for (const n of [1, 2])
        expect((await prepared.query('SELECT $1::int + 1 AS n', [n])).rows).toEqual([{ n: n + 1 }]);
      expect((await prepared.query('SELECT 1 AS a; SELECT 2 AS b')).rowCount).toBeGreaterThanOrEqual(0);
    } finally {
      await prepared.close();
    }
  });

  // psql comes with Debian's postgresql-client; the embedded database is also checked with node-postgres above.
  it.runIf(kind === 'PGlite' && PSQL !== '')('serves psql at its URL, like a server', async () => {
    // Asynchronously: the embedded server answers from this process's event loop.
    const { stdout } = await promisify(execFile)(PSQL, [database.url, '-Atc', 'SELECT 40 + 2'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('42');
  });
});

describe.runIf(!REAL_POSTGRES_URL)('Function: applyChanges (a real PostgreSQL server)', () => {
  it('is skipped because no server is configured', () => {
    console.warn(REAL_POSTGRES_SKIP_MESSAGE);
    expect(REAL_POSTGRES_URL).toBeUndefined();
  });
});
