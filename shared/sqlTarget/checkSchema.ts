import { SchemaMismatchError } from './errors.js';
import { tableLayouts } from './tableLayout.js';
import type { CompiledMapping, SqlQueryable } from './types.js';

const COLUMNS_QUERY =
  'SELECT table_name, column_name, data_type FROM information_schema.columns ' +
  'WHERE table_schema = $1 AND table_name = ANY($2::text[])';
const KEYS_QUERY =
  'SELECT tc.table_name, tc.constraint_name, kcu.column_name FROM information_schema.table_constraints AS tc ' +
  'JOIN information_schema.key_column_usage AS kcu ON kcu.constraint_schema = tc.constraint_schema ' +
  'AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name ' +
  "WHERE tc.table_schema = $1 AND tc.table_name = ANY($2::text[]) AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')";

/**
 * Compares the database with what a mapping writes, by reading information_schema: every missing table,
 * missing column, column of another type, and top-level (or tombstone) table without a primary key or
 * unique constraint on its key. Empty when the schema fits. Run at start, before the first write.
 *
 * @example
 * const problems = await checkSchema(client, mapping);
 * // ['table "public"."patient" is missing (Patient)', 'table "observation" has no column "value_quantity" (numeric)']
 */
export const checkSchema = async (db: SqlQueryable, mapping: CompiledMapping): Promise<string[]> => {
  const layouts = tableLayouts(mapping);
  const names = layouts.map((table) => table.name);
  const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    COLUMNS_QUERY,
    [mapping.schema, names],
  );
  const keys = await db.query<{ table_name: string; constraint_name: string; column_name: string }>(
    KEYS_QUERY,
    [mapping.schema, names],
  );
  const existing = new Map<string, Map<string, string>>();
  for (const row of columns.rows) {
    const table = existing.get(row.table_name) ?? new Map<string, string>();
    table.set(row.column_name, row.data_type);
    existing.set(row.table_name, table);
  }
  const constraints = new Map<string, string[]>();
  for (const row of keys.rows) {
    const key = `${row.table_name}\u0000${row.constraint_name}`;
    constraints.set(key, [...(constraints.get(key) ?? []), row.column_name]);
  }
  const problems: string[] = [];
  for (const layout of layouts) {
    const found = existing.get(layout.name);
    if (!found) {
      problems.push(`table "${mapping.schema}"."${layout.name}" is missing (${layout.owner})`);
      continue;
    }
    for (const column of layout.columns) {
      const type = found.get(column.name);
      if (type === undefined)
        problems.push(`table "${layout.name}" has no column "${column.name}" (${column.type})`);
      else if (!column.accepted.includes(type))
        problems.push(
          `column "${column.name}" of table "${layout.name}" is ${type}; the mapping needs ${column.type}`,
        );
    }
    // Upserts need the key (ON CONFLICT); child rows are only ever inserted and deleted.
    if (layout.parent !== undefined) continue;
    const wanted = [...layout.primaryKey].sort().join(',');
    const keyed = [...constraints.entries()].some(
      ([key, keyColumns]) =>
        key.startsWith(`${layout.name}\u0000`) && [...keyColumns].sort().join(',') === wanted,
    );
    if (!keyed)
      problems.push(
        `table "${layout.name}" has no primary key or unique constraint on (${layout.primaryKey.join(', ')})`,
      );
  }
  return problems;
};

/** Throws a SchemaMismatchError listing every problem checkSchema finds. */
export const assertSchema = async (db: SqlQueryable, mapping: CompiledMapping): Promise<void> => {
  const problems = await checkSchema(db, mapping);
  if (problems.length > 0) throw new SchemaMismatchError(problems);
};
