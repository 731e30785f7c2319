import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlClient, SqlQueryable, SqlResult } from './types.js';

export interface PgSqlClientOptions {
  /** `postgres://user@host:port/database` (a password may be given separately). */
  readonly connectionString: string;
  /** A password, or a function that returns one per new connection (an RDS IAM token, a secret). */
  readonly password?: string | (() => string | Promise<string>);
  /** TLS settings for `pg` (RDS: `{ rejectUnauthorized: true, ca }`); none on loopback. */
  readonly ssl?: pg.ClientConfig['ssl'];
  /** Connections in the pool (default 2: a Lambda runs one batch at a time). */
  readonly maxConnections?: number;
  /** Time to get a connection, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Server-side limit per statement, ms (default 30000). */
  readonly statementTimeoutMs?: number;
  /**
   * Prepare each parameterised statement once per connection, by a name derived from its text (default
   * false). The statements' texts are few and fixed (values are parameters), so this saves parse and
   * plan time; off where a pooler (pgbouncer in transaction mode) does not keep them.
   */
  readonly prepareStatements?: boolean;
  /** Told about errors of idle connections (the pool drops them); gets no data, only the error. */
  readonly onIdleError?: (error: Error) => void;
}

const DATE_OID = 1082;
// Dates stay `YYYY-MM-DD` text: pg's default turns them into a JS Date at local midnight.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === DATE_OID
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const statementName = (text: string): string =>
  `hlc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;

/**
 * SqlClient over node-postgres with a connection pool. Create it once per process (at module load in a
 * Lambda) so connections are reused across invocations.
 *
 * @example
 * const client = new PgSqlClient({ connectionString: 'postgres://writer@db.example:5432/fhir', password: token });
 * await client.transaction(async (tx) => tx.query('SELECT 1'));
 */
export class PgSqlClient implements SqlClient {
  private readonly pool: pg.Pool;
  private readonly prepare: boolean;

  public constructor(options: PgSqlClientOptions) {
    this.prepare = options.prepareStatements ?? false;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      max: options.maxConnections ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: 'healthlake-connector',
      types,
    });
    // Without a listener an idle connection's error (a server restart) would crash the process.
    this.pool.on('error', (error) => options.onIdleError?.(error));
  }

  private run<Row>(
    target: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Row>> {
    const values = params === undefined ? undefined : [...params];
    const config: pg.QueryConfig =
      this.prepare && values !== undefined ? { name: statementName(text), text, values } : { text, values };
    return target
      .query(config)
      .then((result) => ({ rows: result.rows as Row[], rowCount: result.rowCount ?? 0 }));
  }

  public query<Row extends Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Row>> {
    return this.run<Row>(this.pool, text, params);
  }

  public async transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    const connection = await this.pool.connect();
    let broken = false;
    try {
      await connection.query('BEGIN');
      const result = await work({
        query: <Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) =>
          this.run<Row>(connection, text, params),
      });
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await connection.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroyed, not returned to the pool.
      connection.release(broken);
    }
  }

  public async close(): Promise<void> {
    await this.pool.end();
  }
}
