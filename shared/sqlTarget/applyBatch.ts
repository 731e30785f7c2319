import { resourceKey } from '../fhir/ids.js';
import { classifySqlError } from './classifySqlError.js';
import { statementsFor } from './statements.js';
import type {
  ApplyOutcome,
  CompiledMapping,
  CompiledTransformer,
  ResourceRows,
  SqlQueryable,
  SqlValue,
  TableRowCounts,
} from './types.js';

/** A change checked and turned into rows, ready for the database. */
export type PreparedChange =
  | { readonly operation: 'upsert'; readonly transformer: CompiledTransformer; readonly rows: ResourceRows }
  | {
      readonly operation: 'delete';
      readonly transformer: CompiledTransformer;
      readonly id: string;
      readonly version: number;
    };

export interface BatchResult {
  readonly outcome: Exclude<ApplyOutcome, 'failed' | 'unmapped'>;
  readonly written: TableRowCounts;
  readonly deleted: TableRowCounts;
}

const idOf = (change: PreparedChange): string => (change.operation === 'upsert' ? change.rows.id : change.id);

/** Runs one statement; a failure names the table and, when the batch is one resource, the resource. */
const run = async (
  tx: SqlQueryable,
  text: string,
  params: readonly unknown[],
  context: { table: string; resource?: string },
): Promise<Record<string, unknown>[]> => {
  try {
    return (await tx.query(text, params)).rows;
  } catch (error) {
    throw classifySqlError(error, context);
  }
};

/** The upsert's parameters: the top-level columns, then each child table's columns. */
const upsertParams = (
  transformer: CompiledTransformer,
  childOrder: ReturnType<typeof statementsFor>['childOrder'],
  upserts: readonly ResourceRows[],
): unknown[] => {
  const params: unknown[] = [upserts.map((row) => row.id), upserts.map((row) => row.version)];
  transformer.columns.forEach((_, index) => params.push(upserts.map((row) => row.values[index] ?? null)));
  params.push(transformer.resourceType);
  for (const table of childOrder) {
    const ids: string[] = [];
    const parents: string[] = [];
    const sources: string[] = [];
    const columns: SqlValue[][] = table.columns.map(() => []);
    for (const row of upserts) {
      for (const child of row.children.get(table) ?? []) {
        ids.push(child.id);
        parents.push(child.parentReference);
        sources.push(row.id);
        child.values.forEach((value, index) => columns[index]?.push(value));
      }
    }
    params.push(ids, parents, sources, ...columns);
  }
  return params;
};

const applyUpserts = async (
  tx: SqlQueryable,
  mapping: CompiledMapping,
  transformer: CompiledTransformer,
  upserts: readonly ResourceRows[],
  resource: string | undefined,
  results: Map<string, BatchResult>,
): Promise<void> => {
  const { upsert, childOrder } = statementsFor(mapping, transformer);
  const rows = await run(tx, upsert, upsertParams(transformer, childOrder, upserts), {
    table: transformer.name,
    resource,
  });
  const written = new Set(rows.map((row) => String(row.id)));
  for (const row of upserts) {
    if (!written.has(row.id)) {
      results.set(row.id, { outcome: 'unchanged', written: {}, deleted: {} });
      continue;
    }
    const counts: Record<string, number> = { [transformer.name]: 1 };
    for (const [table, childRows] of row.children)
      if (childRows.length > 0) counts[table.name] = childRows.length;
    results.set(row.id, { outcome: 'applied', written: counts, deleted: {} });
  }
};

const applyDeletes = async (
  tx: SqlQueryable,
  mapping: CompiledMapping,
  transformer: CompiledTransformer,
  deletes: readonly { id: string; version: number }[],
  resource: string | undefined,
  results: Map<string, BatchResult>,
): Promise<void> => {
  const params = [deletes.map((d) => d.id), deletes.map((d) => d.version), transformer.resourceType];
  const rows = await run(tx, statementsFor(mapping, transformer).delete, params, {
    table: transformer.name,
    resource,
  });
  const deleted = new Map<string, Record<string, number>>();
  const recorded = new Set<string>();
  for (const { tbl, id } of rows as { tbl: string | null; id: string }[]) {
    if (tbl === null) {
      recorded.add(id);
      continue;
    }
    const counts = deleted.get(id) ?? {};
    counts[tbl] = (counts[tbl] ?? 0) + 1;
    deleted.set(id, counts);
  }
  for (const { id } of deletes) {
    const applied = deleted.has(id) || recorded.has(id);
    results.set(id, {
      outcome: applied ? 'applied' : 'unchanged',
      written: {},
      deleted: deleted.get(id) ?? {},
    });
  }
};

/**
 * Applies changes to distinct resources inside one transaction (`tx`), with one statement per resource
 * type and operation: upsert the top-level rows whose version is newer (and not deleted at a newer
 * version) and replace the child rows of those written; delete the rows older than a delete and record
 * the deletion. Returns each change's result, in order. A failure throws a classified SqlTargetError;
 * the caller rolls back.
 */
export const applyBatch = async (
  tx: SqlQueryable,
  mapping: CompiledMapping,
  changes: readonly PreparedChange[],
): Promise<BatchResult[]> => {
  const only = changes.length === 1 ? changes[0] : undefined;
  const resource = only ? resourceKey(only.transformer.resourceType, idOf(only)) : undefined;
  const byTransformer = new Map<CompiledTransformer, PreparedChange[]>();
  for (const change of changes) {
    const group = byTransformer.get(change.transformer) ?? [];
    group.push(change);
    byTransformer.set(change.transformer, group);
  }
  const resultsByType = new Map<CompiledTransformer, Map<string, BatchResult>>();
  for (const [transformer, group] of byTransformer) {
    const results = new Map<string, BatchResult>();
    resultsByType.set(transformer, results);
    const upserts = group.flatMap((change) => (change.operation === 'upsert' ? [change.rows] : []));
    const deletes = group.flatMap((change) => (change.operation === 'delete' ? [change] : []));
    if (upserts.length > 0) await applyUpserts(tx, mapping, transformer, upserts, resource, results);
    if (deletes.length > 0) await applyDeletes(tx, mapping, transformer, deletes, resource, results);
  }
  return changes.map((change) => resultsByType.get(change.transformer)?.get(idOf(change)) as BatchResult);
};
