import { isFhirId, RESOURCE_TYPE_PATTERN, resourceKey } from '../fhir/ids.js';
import { applyBatch, type BatchResult, type PreparedChange } from './applyBatch.js';
import { buildRows } from './buildRows.js';
import { classifySqlError } from './classifySqlError.js';
import { SQL_TARGET_LIMITS } from './constants.js';
import { SqlTargetError } from './errors.js';
import type { ApplyResult, CompiledMapping, SqlChange, SqlClient } from './types.js';

/**
 * Loads the R4 StructureDefinitions of a resource's types into @medplum/core (shared/ingest's
 * ResourceDefinitions does). FHIRPath gives the same results without them, but navigates a resource
 * several times faster with them: without a definition Medplum probes every data type suffix for each
 * absent element.
 */
export interface TypeDefinitionLoader {
  loadTypesIn(resource: Readonly<Record<string, unknown>>): void;
}

export interface ApplyOptions {
  /** Changes applied per transaction (default 100). A failing batch is retried one change at a time. */
  readonly batchSize?: number;
  /** Loads type definitions before a resource is mapped (see TypeDefinitionLoader). */
  readonly definitions?: TypeDefinitionLoader;
}

const NOTHING = {} as const;

const resultOf = (
  change: SqlChange,
  rest: Pick<ApplyResult, 'outcome' | 'error'> & Partial<ApplyResult>,
): ApplyResult => ({
  operation: change.operation,
  resourceType: change.resourceType,
  id: change.id,
  version: change.version,
  written: NOTHING,
  deleted: NOTHING,
  ...rest,
});

const failed = (change: SqlChange, error: SqlTargetError): ApplyResult =>
  resultOf(change, { outcome: 'failed', error });

/** Why a change cannot be applied at all, before any mapping (hostile input: checked first). */
const problemOf = (change: SqlChange): string | undefined => {
  if (!RESOURCE_TYPE_PATTERN.test(change.resourceType))
    return 'its resource type is not a FHIR resource type';
  if (!isFhirId(change.id)) return 'its id is not a FHIR id';
  if (!Number.isSafeInteger(change.version) || change.version < 0)
    return 'its version is not a non-negative integer';
  if (change.operation === 'upsert') {
    if (change.resource.resourceType !== change.resourceType) return 'its resourceType does not match';
    if (change.resource.id !== undefined && change.resource.id !== change.id) return 'its id does not match';
  }
  return undefined;
};

/** Splits changes into batches of at most `size`, never two changes to one resource in a batch (order kept). */
const batches = (changes: readonly { key: string }[], size: number): number[][] => {
  const out: number[][] = [];
  let current: number[] = [];
  let keys = new Set<string>();
  changes.forEach(({ key }, index) => {
    if (current.length >= size || keys.has(key)) {
      out.push(current);
      current = [];
      keys = new Set();
    }
    current.push(index);
    keys.add(key);
  });
  if (current.length > 0) out.push(current);
  return out;
};

/**
 * Applies resource changes to the database: each upsert writes its top-level row only when its version
 * is newer, then replaces its child rows; each delete removes the top-level and child rows and records the
 * deletion, so an older version arriving late changes nothing. Changes go in batches, one transaction per
 * batch; when a batch fails for a reason that is one resource's fault (a value that does not fit, a
 * constraint), it is rolled back and its changes retried one per transaction, so only that resource fails.
 * A database that is down fails the batch's changes with a transient error. Results come back in order,
 * with the tables and row counts written (for the troubleshooting log: counts, never values).
 *
 * @example
 * const results = await applyChanges(client, mapping, [
 *   { operation: 'upsert', resourceType: 'Patient', id: 'p1', version: 2, resource: patient },
 *   { operation: 'delete', resourceType: 'Observation', id: 'o1', version: 7 },
 * ]);
 * results[0]; // { outcome: 'applied', written: { patient: 1, patient_name: 2 }, ... }
 */
export const applyChanges = async (
  client: SqlClient,
  mapping: CompiledMapping,
  changes: readonly SqlChange[],
  options: ApplyOptions = {},
): Promise<ApplyResult[]> => {
  const results: (ApplyResult | undefined)[] = new Array(changes.length);
  const ready: { index: number; key: string; prepared: PreparedChange }[] = [];
  changes.forEach((change, index) => {
    const key = resourceKey(change.resourceType, String(change.id));
    const problem = problemOf(change);
    if (problem) {
      results[index] = failed(
        change,
        new SqlTargetError(
          `Change to ${RESOURCE_TYPE_PATTERN.test(change.resourceType) ? change.resourceType : 'a resource'} refused: ${problem}`,
          { terminal: true },
        ),
      );
      return;
    }
    const transformer = mapping.transformers.get(change.resourceType);
    if (!transformer) {
      results[index] = resultOf(change, { outcome: 'unmapped' });
      return;
    }
    try {
      if (change.operation === 'upsert') options.definitions?.loadTypesIn(change.resource);
      const prepared: PreparedChange =
        change.operation === 'upsert'
          ? { operation: 'upsert', transformer, rows: buildRows(transformer, change) }
          : { operation: 'delete', transformer, id: change.id, version: change.version };
      ready.push({ index, key, prepared });
    } catch (error) {
      // buildRows throws SqlTargetErrors; anything else is a fault of ours, retried and then dead-lettered.
      const unexpected = new SqlTargetError(`Mapping ${key} failed unexpectedly`, { terminal: false });
      results[index] = failed(change, error instanceof SqlTargetError ? error : unexpected);
    }
  });

  const settle = (indexes: readonly number[], batchResults: readonly BatchResult[]): void =>
    indexes.forEach((readyIndex, position) => {
      const { index } = ready[readyIndex] as (typeof ready)[number];
      results[index] = resultOf(changes[index] as SqlChange, batchResults[position] as BatchResult);
    });
  const attempt = (indexes: readonly number[]): Promise<BatchResult[]> =>
    client.transaction((tx) =>
      applyBatch(
        tx,
        mapping,
        indexes.map((readyIndex) => (ready[readyIndex] as (typeof ready)[number]).prepared),
      ),
    );

  for (const batch of batches(ready, options.batchSize ?? SQL_TARGET_LIMITS.batchSize)) {
    try {
      settle(batch, await attempt(batch));
      continue;
    } catch (error) {
      const classified = classifySqlError(error);
      if (!classified.terminal || batch.length === 1) {
        for (const readyIndex of batch) {
          const { index } = ready[readyIndex] as (typeof ready)[number];
          results[index] = failed(changes[index] as SqlChange, classified);
        }
        continue;
      }
    }
    // One resource's fault: find it by applying the batch's changes one per transaction.
    for (const readyIndex of batch) {
      const { index } = ready[readyIndex] as (typeof ready)[number];
      try {
        settle([readyIndex], await attempt([readyIndex]));
      } catch (error) {
        results[index] = failed(changes[index] as SqlChange, classifySqlError(error));
      }
    }
  }
  return results as ApplyResult[];
};
