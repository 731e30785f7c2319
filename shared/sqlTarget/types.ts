import type { SqlType } from './constants.js';
import type { CompiledFhirPath } from './compileFhirPath.js';
import type { SqlTargetError } from './errors.js';

/** One mapped column as written in a mapping file: its name, FHIRPath and SQL type. */
export interface ColumnDefinition {
  readonly name: string;
  readonly path: string;
  readonly type: SqlType;
}

/** A child table as written: one row per element `forEach` yields. */
export interface ChildTableDefinition {
  readonly table: string;
  readonly forEach: string;
  readonly columns?: readonly ColumnDefinition[];
  readonly children?: readonly ChildTableDefinition[];
}

/** The tables of one resource type as written: its top-level table and child tables. */
export interface TransformerDefinition {
  readonly resourceType: string;
  readonly table: string;
  readonly columns?: readonly ColumnDefinition[];
  readonly children?: readonly ChildTableDefinition[];
}

/** A mapping file (JSON or YAML). */
export interface MappingDefinition {
  /** PostgreSQL schema of every table (default `public`). */
  readonly schema?: string;
  readonly transformers: readonly TransformerDefinition[];
}

export interface CompiledColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly path: CompiledFhirPath;
}

export interface CompiledTable {
  readonly name: string;
  readonly columns: readonly CompiledColumn[];
  readonly children: readonly CompiledChildTable[];
}

export interface CompiledChildTable extends CompiledTable {
  readonly forEach: CompiledFhirPath;
  /** The table whose row a row of this table belongs to (`parent_reference`). */
  readonly parent: CompiledTable;
  /** True when the parent is the top-level table (`parent_reference` is then the resource id). */
  readonly parentIsTopLevel: boolean;
}

export interface CompiledTransformer extends CompiledTable {
  readonly resourceType: string;
  /** Child tables at every depth, parents before their children. */
  readonly allChildren: readonly CompiledChildTable[];
}

/** A validated mapping with its expressions compiled, ready to apply. */
export interface CompiledMapping {
  readonly schema: string;
  readonly transformers: ReadonlyMap<string, CompiledTransformer>;
}

/** A parameter value as sent to PostgreSQL (numbers, dates and JSON go as text). */
export type SqlValue = string | number | boolean | null;

/** The rows one resource becomes. */
export interface ResourceRows {
  readonly resourceType: string;
  readonly id: string;
  readonly version: number;
  /** Values of the top-level table's mapped columns, in column order. */
  readonly values: readonly SqlValue[];
  readonly children: ReadonlyMap<CompiledChildTable, readonly ChildRow[]>;
}

export interface ChildRow {
  readonly id: string;
  readonly parentReference: string;
  readonly values: readonly SqlValue[];
}

/** The result of a query. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Something that runs parameterised statements: a pool, or a transaction's connection. */
export interface SqlQueryable {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<Row>>;
}

/** The database as the SQL target uses it: statements, and work run in one transaction. */
export interface SqlClient extends SqlQueryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Closes the connections (end of a local run or a test; a Lambda keeps its pool). */
  close(): Promise<void>;
}

/** A change to apply: a version of a resource, or its deletion at a version. */
export type SqlChange =
  | {
      readonly operation: 'upsert';
      readonly resourceType: string;
      readonly id: string;
      /** Integer version; a row is only replaced by a newer one. */
      readonly version: number;
      readonly resource: Readonly<Record<string, unknown>>;
    }
  | {
      readonly operation: 'delete';
      readonly resourceType: string;
      readonly id: string;
      readonly version: number;
    };

/**
 * What became of a change:
 * `applied` written (or deleted); `unchanged` the database already holds this or a newer version (or
 * its deletion), so nothing changed; `unmapped` no transformer for the type; `failed` see `error`.
 */
export type ApplyOutcome = 'applied' | 'unchanged' | 'unmapped' | 'failed';

/** Rows per table, for the troubleshooting log (counts only, never values). */
export type TableRowCounts = Readonly<Record<string, number>>;

export interface ApplyResult {
  readonly operation: SqlChange['operation'];
  readonly resourceType: string;
  readonly id: string;
  readonly version: number;
  readonly outcome: ApplyOutcome;
  /** Rows written per table (top-level and child rows). */
  readonly written: TableRowCounts;
  /** Rows deleted per table by a delete (child rows replaced by an upsert are not counted). */
  readonly deleted: TableRowCounts;
  readonly error?: SqlTargetError;
}
