import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:{port}/postgres`: `pg`, psql or any client connects here. */
  readonly url: string;
  readonly db: PGlite;
  stop(): Promise<void>;
}

/**
 * A fresh database's files, kept once per PGlite build in the temp folder: PGlite's in-memory initdb
 * takes about 10 s here, loading the saved files about 3 s.
 */
const templatePath = async (): Promise<string> => {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const { size, mtimeMs } = await stat(entry);
  return join(tmpdir(), `hlc-pglite-template-${size}-${Math.trunc(mtimeMs)}.tar`);
};

const createDatabase = async (): Promise<PGlite> => {
  const path = await templatePath();
  const saved = await readFile(path).catch(() => undefined);
  if (saved) return PGlite.create({ loadDataDir: new Blob([saved]) });
  const db = await PGlite.create();
  const dump = await db.dumpDataDir('none');
  const partial = `${path}.${process.pid}`;
  // Written aside, then renamed: a concurrent reader never sees half a file.
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, path);
  return db;
};

/**
 * An embedded PostgreSQL (PGlite, in memory) served over the PostgreSQL wire protocol on loopback, so
 * node-postgres and psql connect to it like to a server. PGlite is one session: clients share it, one
 * statement at a time (a transaction keeps it to itself until it ends), so a writer's pool should hold
 * one connection.
 *
 * @example
 * const postgres = await startEmbeddedPostgres();
 * const client = new PgSqlClient({ connectionString: postgres.url, maxConnections: 1 });
 * await postgres.stop();
 */
export const startEmbeddedPostgres = async (
  options: { readonly host?: string; readonly port?: number; readonly maxConnections?: number } = {},
): Promise<EmbeddedPostgres> => {
  const db = await createDatabase();
  const host = options.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 8,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    db,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
};
