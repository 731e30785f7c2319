import { CHILD_COLUMNS, SQL_TYPES, TOMBSTONE_TABLE, TOP_LEVEL_COLUMNS } from './constants.js';
import { qualifiedName, quoteIdentifier as q } from './identifiers.js';
import type { CompiledChildTable, CompiledMapping, CompiledTransformer } from './types.js';

/**
 * The two statements that write one resource type, built once per transformer. Each takes whole
 * columns as array parameters (`unnest($1::text[], ...)`), so one statement writes the rows of many
 * resources, its text never depends on how many, and values are never part of SQL text. Each is a single
 * statement of data-modifying CTEs: one round trip per resource type per batch. Its parts see the
 * table as it was before the statement, so deleting a resource's old child rows and inserting its new
 * ones in the same statement touch different rows; foreign keys are checked at the statement's end.
 */
export interface TransformerStatements {
  /**
   * Parameters: ids, versions, one array per mapped column, the resource type, then per child table
   * (parents first) its row ids, parent references, resource ids and one array per mapped column.
   * Writes the top-level rows whose version is newer and not deleted at a newer version, replaces the
   * child rows of those, and returns their `id`s.
   */
  readonly upsert: string;
  /** The child tables in the order of the upsert's parameters. */
  readonly childOrder: readonly CompiledChildTable[];
  /**
   * Parameters: ids, versions, resource type. Deletes the rows older than the delete (top-level and
   * child), records the deletion unless a newer row exists, and returns `(tbl, id)` per row deleted
   * (`tbl` the table, `id` the resource id) plus `(NULL, id)` per deletion recorded.
   */
  readonly delete: string;
}

const list = (names: readonly string[]): string => names.map(q).join(', ');
const cast = (index: number, type: string): string => `$${index}::${type}[]`;

const build = (schema: string, transformer: CompiledTransformer): TransformerStatements => {
  const top = qualifiedName(schema, transformer.name);
  const tombstones = qualifiedName(schema, TOMBSTONE_TABLE);
  const id = q(TOP_LEVEL_COLUMNS.id);
  const version = q(TOP_LEVEL_COLUMNS.version);
  const source = q(CHILD_COLUMNS.sourceResourceId);
  const mapped = transformer.columns.map((c) => c.name);
  const names = [TOP_LEVEL_COLUMNS.id, TOP_LEVEL_COLUMNS.version, ...mapped];
  const types = ['text', 'bigint', ...transformer.columns.map((c) => SQL_TYPES[c.type])];
  let next = 1;
  const topParams = types.map((type) => cast(next++, type)).join(', ');
  const typeParam = `$${next++}`;
  const updates = [TOP_LEVEL_COLUMNS.version, ...mapped].map((name) => `${q(name)} = EXCLUDED.${q(name)}`);
  const parts = [
    `written AS (INSERT INTO ${top} AS t (${list(names)}) ` +
      `SELECT * FROM unnest(${topParams}) AS v(${list(names)}) ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${tombstones} AS d WHERE d."resource_type" = ${typeParam} AND d."id" = v.${id} AND d."version" >= v.${version}) ` +
      `ON CONFLICT (${id}) DO UPDATE SET ${updates.join(', ')} WHERE t.${version} < EXCLUDED.${version} ` +
      `RETURNING t.${id})`,
  ];
  transformer.allChildren.forEach((table, index) => {
    parts.push(
      `old_${index} AS (DELETE FROM ${qualifiedName(schema, table.name)} WHERE ${source} IN (SELECT ${id} FROM written))`,
    );
  });
  transformer.allChildren.forEach((table, index) => {
    const childNames = [CHILD_COLUMNS.id, CHILD_COLUMNS.parentReference, CHILD_COLUMNS.sourceResourceId];
    const childTypes = ['uuid', table.parentIsTopLevel ? 'text' : 'uuid', 'text'];
    const allNames = [...childNames, ...table.columns.map((c) => c.name)];
    const allTypes = [...childTypes, ...table.columns.map((c) => SQL_TYPES[c.type])];
    const params = allTypes.map((type) => cast(next++, type)).join(', ');
    parts.push(
      `new_${index} AS (INSERT INTO ${qualifiedName(schema, table.name)} (${list(allNames)}) ` +
        `SELECT * FROM unnest(${params}) AS v(${list(allNames)}) WHERE v.${source} IN (SELECT ${id} FROM written))`,
    );
  });
  const upsert = `WITH ${parts.join(',\n')}\nSELECT ${id} FROM written`;

  const deleteParts = [
    `doomed AS (SELECT t.${id} FROM ${top} AS t JOIN unnest($1::text[], $2::bigint[]) AS d("id", "version") ` +
      `ON t.${id} = d."id" WHERE t.${version} < d."version" FOR UPDATE OF t)`,
    ...transformer.allChildren.map(
      (table, index) =>
        `child_${index} AS (DELETE FROM ${qualifiedName(schema, table.name)} WHERE ${source} IN (SELECT ${id} FROM doomed) RETURNING ${source})`,
    ),
    `parent_rows AS (DELETE FROM ${top} WHERE ${id} IN (SELECT ${id} FROM doomed) RETURNING ${id})`,
    `recorded AS (INSERT INTO ${tombstones} AS d ("resource_type", "id", "version", "deleted_at") ` +
      `SELECT $3, v."id", v."version", now() FROM unnest($1::text[], $2::bigint[]) AS v("id", "version") ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${top} AS t WHERE t.${id} = v."id" AND t.${version} >= v."version") ` +
      `ON CONFLICT ("resource_type", "id") DO UPDATE SET "version" = EXCLUDED."version", "deleted_at" = now() ` +
      `WHERE d."version" < EXCLUDED."version" RETURNING d."id")`,
  ];
  const literal = (name: string): string => `'${name}'`; // a validated identifier: [a-z0-9_] only
  const selects = [
    ...transformer.allChildren.map(
      (table, index) => `SELECT ${literal(table.name)} AS tbl, ${source} AS id FROM child_${index}`,
    ),
    `SELECT ${literal(transformer.name)} AS tbl, ${id} AS id FROM parent_rows`,
    `SELECT NULL AS tbl, "id" FROM recorded`,
  ];
  return {
    upsert,
    childOrder: transformer.allChildren,
    delete: `WITH ${deleteParts.join(',\n')}\n${selects.join('\nUNION ALL ')}`,
  };
};

const cache = new WeakMap<CompiledTransformer, Map<string, TransformerStatements>>();

/** The statements of one of the mapping's transformers in the mapping's schema (built on first use). */
export const statementsFor = (
  mapping: CompiledMapping,
  transformer: CompiledTransformer,
): TransformerStatements => {
  const bySchema = cache.get(transformer) ?? new Map<string, TransformerStatements>();
  cache.set(transformer, bySchema);
  let statements = bySchema.get(mapping.schema);
  if (!statements) {
    statements = build(mapping.schema, transformer);
    bySchema.set(mapping.schema, statements);
  }
  return statements;
};
