import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres } from '../../local/standins/pglite.js';
import { compileMapping } from '../../shared/sqlTarget/compileMapping.js';
import { generateDdl, type DdlOptions } from '../../shared/sqlTarget/generateDdl.js';
import { PgSqlClient } from '../../shared/sqlTarget/PgSqlClient.js';
import type { CompiledMapping, MappingDefinition } from '../../shared/sqlTarget/types.js';

/** A real PostgreSQL server for the tests, e.g. from `bash scripts/startPostgres.sh` (`.ci/run` starts one). */
export const REAL_POSTGRES_URL = process.env.HLC_TEST_POSTGRES_URL;
export const REAL_POSTGRES_SKIP_MESSAGE =
  'HLC_TEST_POSTGRES_URL is not set: the tests against a real PostgreSQL server are skipped ' +
  '(export HLC_TEST_POSTGRES_URL="$(bash scripts/startPostgres.sh)" starts one)';

export type DatabaseKind = 'PGlite' | 'PostgreSQL';
/** The databases to run against here: PGlite always, a real server when one is configured. */
export const DATABASE_KINDS: readonly DatabaseKind[] = REAL_POSTGRES_URL
  ? ['PGlite', 'PostgreSQL']
  : ['PGlite'];

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly url: string;
  readonly client: PgSqlClient;
  /** A schema of its own (dropped at stop), so runs never see each other's tables on a shared server. */
  newSchema(): string;
  /** Compiles a mapping into `schema` and applies its DDL. */
  prepare(definition: MappingDefinition, schema: string, ddl?: DdlOptions): Promise<CompiledMapping>;
  stop(): Promise<void>;
}

/**
 * Starts (PGlite) or connects to (PostgreSQL) a database for one test file.
 *
 * @example
 * const database = await startTestDatabase('PGlite');
 * const mapping = await database.prepare(DEFAULT_MAPPING, database.newSchema());
 */
export const startTestDatabase = async (kind: DatabaseKind): Promise<TestDatabase> => {
  const embedded = kind === 'PGlite' ? await startEmbeddedPostgres() : undefined;
  const url = embedded?.url ?? (REAL_POSTGRES_URL as string);
  // PGlite is one session: one connection, so statements of two transactions never interleave.
  const client = new PgSqlClient({ connectionString: url, maxConnections: embedded ? 1 : 2 });
  const schemas: string[] = [];
  return {
    kind,
    url,
    client,
    newSchema: () => {
      const schema = `hlc_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return schema;
    },
    prepare: async (definition, schema, ddl) => {
      const mapping = compileMapping({ ...definition, schema }, 'test mapping');
      for (const statement of generateDdl(mapping, ddl)) await client.query(statement);
      return mapping;
    },
    stop: async () => {
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.close();
        await embedded?.stop();
      }
    },
  };
};
