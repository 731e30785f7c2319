/** The SQL column types a mapping may declare, and the PostgreSQL type each is created as. */
export const SQL_TYPES = {
  text: 'text',
  integer: 'integer',
  numeric: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamptz: 'timestamp with time zone',
  jsonb: 'jsonb',
} as const;
export type SqlType = keyof typeof SQL_TYPES;

export const isSqlType = (value: unknown): value is SqlType =>
  typeof value === 'string' && Object.hasOwn(SQL_TYPES, value);

/**
 * Table, column and schema names: lower case, a letter or `_` first, at most 63 bytes (PostgreSQL's
 * NAMEDATALEN - 1, past which it silently truncates). Always quoted in SQL all the same.
 */
export const SQL_IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Columns every top-level table has, filled by the connector. */
export const TOP_LEVEL_COLUMNS = { id: 'id', version: 'version' } as const;
/** Columns every child table has, filled by the connector. */
export const CHILD_COLUMNS = {
  id: 'id',
  parentReference: 'parent_reference',
  sourceResourceId: 'source_resource_id',
} as const;

/**
 * The connector's own table: the version at which each resource was deleted, so an older version
 * arriving after the delete does not bring the row back. One per schema, beside the mapped tables.
 */
export const TOMBSTONE_TABLE = 'hlc_tombstone';

export const SQL_TARGET_LIMITS = {
  /** Longest FHIRPath expression accepted in a mapping. */
  expressionLength: 2_000,
  /** Child tables nest at most this deep (a child of a child of a child). */
  childDepth: 3,
  /** Largest mapping file read, bytes. */
  mappingFileBytes: 1_048_576,
  /** Resources applied in one transaction by `applyChanges` unless told otherwise. */
  batchSize: 100,
} as const;

/** Schema the tables live in unless the mapping names one. */
export const DEFAULT_SQL_SCHEMA = 'public';
