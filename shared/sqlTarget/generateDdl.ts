import { createHash } from 'node:crypto';
import { CHILD_COLUMNS } from './constants.js';
import { qualifiedName, quoteIdentifier as q } from './identifiers.js';
import { tableLayouts } from './tableLayout.js';
import type { CompiledMapping } from './types.js';

export interface DdlOptions {
  /**
   * Child tables' `parent_reference` references the parent row (`ON DELETE CASCADE`), indexed (default
   * false, as in the seed: the connector deletes child rows itself).
   */
  readonly foreignKeys?: boolean;
}

/** An index name within PostgreSQL's 63 bytes, unique per table even when the table name is long. */
const indexName = (table: string, column: string): string => {
  const name = `${table}_${column}_idx`;
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${table.slice(0, 63 - column.length - hash.length - 6)}_${hash}_${column}_idx`;
};

/**
 * The DDL a mapping needs, as statements: the schema, the connector's tombstone table, each top-level
 * table (`id` primary key, integer `version`, mapped columns) and child table (`id` UUID primary key,
 * `parent_reference`, `source_resource_id` indexed, mapped columns). `IF NOT EXISTS` throughout, so
 * applying it again changes nothing.
 *
 * @example
 * console.log(generateDdl(mapping, { foreignKeys: true }).join(';\n\n') + ';');
 */
export const generateDdl = (mapping: CompiledMapping, options: DdlOptions = {}): string[] => {
  const { schema } = mapping;
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`];
  for (const table of tableLayouts(mapping)) {
    const lines = table.columns.map((column) => {
      const references =
        options.foreignKeys && table.parent && column.name === CHILD_COLUMNS.parentReference
          ? ` REFERENCES ${qualifiedName(schema, table.parent)} (${q('id')}) ON DELETE CASCADE`
          : '';
      return `  ${q(column.name)} ${column.type}${column.notNull ? ' NOT NULL' : ''}${references}`;
    });
    lines.push(`  PRIMARY KEY (${table.primaryKey.map(q).join(', ')})`);
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, table.name)} (\n${lines.join(',\n')}\n)`,
    );
    const indexed = [
      ...(table.indexSourceResourceId ? [CHILD_COLUMNS.sourceResourceId] : []),
      ...(options.foreignKeys && table.parent ? [CHILD_COLUMNS.parentReference] : []),
    ];
    for (const column of indexed)
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${q(indexName(table.name, column))} ON ${qualifiedName(schema, table.name)} (${q(column)})`,
      );
  }
  return statements;
};
