import { CHILD_COLUMNS, SQL_TYPES, TOMBSTONE_TABLE, TOP_LEVEL_COLUMNS } from './constants.js';
import type { CompiledMapping, CompiledTable } from './types.js';

/** A column a table needs: its name, the type it is created with, and the types accepted in an existing schema. */
export interface ColumnLayout {
  readonly name: string;
  /** As information_schema.columns.data_type names it (and as it is created). */
  readonly type: string;
  readonly accepted: readonly string[];
  readonly notNull: boolean;
}

export interface TableLayout {
  readonly name: string;
  /** Resource type (top-level and child tables), or the connector's own table. */
  readonly owner: string;
  readonly columns: readonly ColumnLayout[];
  /** Columns of the primary key. */
  readonly primaryKey: readonly string[];
  /** The parent table (child tables), for `parent_reference`. */
  readonly parent?: string;
  /** Index on `source_resource_id` (child tables). */
  readonly indexSourceResourceId: boolean;
}

const TEXTUAL = ['text', 'character varying'];
const required = (name: string, type: string, accepted: readonly string[] = [type]): ColumnLayout => ({
  name,
  type,
  accepted,
  notNull: true,
});

const mappedColumns = (table: CompiledTable): ColumnLayout[] =>
  table.columns.map((column) => ({
    name: column.name,
    type: SQL_TYPES[column.type],
    accepted: [SQL_TYPES[column.type]],
    notNull: false,
  }));

/**
 * Every table a mapping writes, with its columns and keys: what the DDL creates and the schema check
 * expects. Existing schemas may use the seed's "integer" version and "string" ids, so those are accepted too.
 */
export const tableLayouts = (mapping: CompiledMapping): TableLayout[] => {
  const tables: TableLayout[] = [
    {
      name: TOMBSTONE_TABLE,
      owner: 'the connector (deletions)',
      columns: [
        required('resource_type', 'text', TEXTUAL),
        required('id', 'text', TEXTUAL),
        required('version', 'bigint'),
        required('deleted_at', 'timestamp with time zone'),
      ],
      primaryKey: ['resource_type', 'id'],
      indexSourceResourceId: false,
    },
  ];
  for (const transformer of mapping.transformers.values()) {
    tables.push({
      name: transformer.name,
      owner: transformer.resourceType,
      columns: [
        required(TOP_LEVEL_COLUMNS.id, 'text', TEXTUAL),
        required(TOP_LEVEL_COLUMNS.version, 'bigint', ['bigint', 'integer']),
        ...mappedColumns(transformer),
      ],
      primaryKey: [TOP_LEVEL_COLUMNS.id],
      indexSourceResourceId: false,
    });
    for (const child of transformer.allChildren) {
      const parentType = child.parentIsTopLevel ? 'text' : 'uuid';
      tables.push({
        name: child.name,
        owner: transformer.resourceType,
        columns: [
          required(CHILD_COLUMNS.id, 'uuid', ['uuid', ...TEXTUAL]),
          required(CHILD_COLUMNS.parentReference, parentType, [parentType, ...TEXTUAL]),
          required(CHILD_COLUMNS.sourceResourceId, 'text', TEXTUAL),
          ...mappedColumns(child),
        ],
        primaryKey: [CHILD_COLUMNS.id],
        parent: child.parent.name,
        indexSourceResourceId: true,
      });
    }
  }
  return tables;
};
