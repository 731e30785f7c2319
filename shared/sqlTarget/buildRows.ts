import type { TypedValue } from '@medplum/core';
import { randomUUID } from 'node:crypto';
import { fhirPathScope, type CompiledFhirPath, type FhirPathScope } from './compileFhirPath.js';
import { FhirPathEvaluationError, ValueDoesNotFitError, type ValueLocation } from './errors.js';
import { toSqlValue } from './toSqlValue.js';
import type {
  ChildRow,
  CompiledChildTable,
  CompiledColumn,
  CompiledTransformer,
  ResourceRows,
  SqlValue,
} from './types.js';

interface Target {
  readonly resourceType: string;
  readonly id: string;
  readonly scope: FhirPathScope;
}

const evaluate = (
  path: CompiledFhirPath,
  context: TypedValue,
  target: Target,
  where: ValueLocation,
): TypedValue[] => {
  try {
    return path.evaluate(context, target.scope);
  } catch {
    throw new FhirPathEvaluationError(where);
  }
};

const rowValues = (
  table: string,
  columns: readonly CompiledColumn[],
  context: TypedValue,
  target: Target,
): SqlValue[] =>
  columns.map((column) => {
    const where = { table, column: column.name, resourceType: target.resourceType, id: target.id };
    const converted = toSqlValue(column.type, evaluate(column.path, context, target, where));
    if ('reason' in converted) throw new ValueDoesNotFitError(where, converted.reason);
    return converted.value;
  });

const addChildRows = (
  children: readonly CompiledChildTable[],
  parent: { readonly id: string; readonly context: TypedValue },
  target: Target,
  into: Map<CompiledChildTable, ChildRow[]>,
  newId: () => string,
): void => {
  for (const child of children) {
    const where = { table: child.name, resourceType: target.resourceType, id: target.id };
    const rows = into.get(child) ?? [];
    into.set(child, rows);
    for (const element of evaluate(child.forEach, parent.context, target, where)) {
      const row = {
        id: newId(),
        parentReference: parent.id,
        values: rowValues(child.name, child.columns, element, target),
      };
      rows.push(row);
      addChildRows(child.children, { id: row.id, context: element }, target, into, newId);
    }
  }
};

/**
 * The rows a resource becomes under its transformer: the top-level row's mapped values and, for each
 * child table, one row per element its `forEach` yields (a new UUID each, `parent_reference` pointing at
 * the parent row). Throws ValueDoesNotFitError or FhirPathEvaluationError (terminal, naming table,
 * column and resource, never the value).
 *
 * @example
 * const rows = buildRows(mapping.transformers.get('Patient')!, { resourceType: 'Patient', id, version: 3, resource });
 */
export const buildRows = (
  transformer: CompiledTransformer,
  change: {
    readonly resourceType: string;
    readonly id: string;
    readonly version: number;
    readonly resource: Readonly<Record<string, unknown>>;
  },
  newId: () => string = randomUUID,
): ResourceRows => {
  const scope = fhirPathScope(change.resource);
  const target: Target = { resourceType: change.resourceType, id: change.id, scope };
  const children = new Map<CompiledChildTable, ChildRow[]>();
  const values = rowValues(transformer.name, transformer.columns, scope.resource, target);
  addChildRows(transformer.children, { id: change.id, context: scope.resource }, target, children, newId);
  return { resourceType: change.resourceType, id: change.id, version: change.version, values, children };
};
