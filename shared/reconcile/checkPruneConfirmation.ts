import { OperationOutcomeError, conflict, notFound } from '../fhir/outcomes.js';
import type { ReconcileInput } from './parseReconcileParameters.js';
import type { ReconcileJobStore } from './ReconcileJobStore.js';
import { totalTally } from './reconcileStatusResource.js';
import type { ReconcileScope } from './types.js';

const sorted = (values: readonly string[]): string[] => [...new Set(values)].sort();
const same = (a: readonly string[], b: readonly string[]): boolean =>
  JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const listed = (values: readonly string[]): string =>
  values.length === 0 ? 'every type' : sorted(values).join(',');

/**
 * What differs between a prune's scope and its compare's, in words that quote no search URL and no
 * id (they may hold PHI): types and the window by value, searches and ids by count.
 */
export const scopeDifferences = (compare: ReconcileScope, prune: ReconcileScope): string[] => {
  const differences: string[] = [];
  if (!same(compare.resourceTypes, prune.resourceTypes))
    differences.push(
      `resourceType (compare: ${listed(compare.resourceTypes)}; prune: ${listed(prune.resourceTypes)})`,
    );
  if (!same(compare.searchUrls, prune.searchUrls))
    differences.push(
      `searchUrl (compare: ${compare.searchUrls.length}; prune: ${prune.searchUrls.length}, not the same)`,
    );
  if (!same(compare.resourceIds, prune.resourceIds))
    differences.push(
      `resourceId (compare: ${compare.resourceIds.length}; prune: ${prune.resourceIds.length}, not the same)`,
    );
  for (const bound of ['since', 'until'] as const) {
    if (compare[bound] !== prune[bound])
      differences.push(`${bound} (compare: ${compare[bound] ?? 'none'}; prune: ${prune[bound] ?? 'none'})`);
  }
  return differences;
};

/**
 * repair-and-prune must name a completed compare of the same Subscription, with the same scope and the
 * same delivery target (endpoint and replication settings), and repeat its only-in-HealthLake count.
 * Throws a 404 or 409 OperationOutcomeError (with the expected count) otherwise; nothing is started.
 */
export const checkPruneConfirmation = async (
  input: ReconcileInput,
  target: string,
  jobs: Pick<ReconcileJobStore, 'get'>,
): Promise<void> => {
  if (input.mode !== 'repair-and-prune') return;
  const compare = await jobs.get(input.compareJobId as string);
  if (!compare) throw new OperationOutcomeError(notFound(`Unknown compare job ${input.compareJobId}`));
  if (
    compare.mode !== 'compare' ||
    compare.state !== 'completed' ||
    compare.subscriptionId !== input.subscriptionId
  )
    throw new OperationOutcomeError(
      conflict('compareJob must be a completed compare job of the same subscription'),
    );
  const reported = totalTally(compare).onlyInHealthLake;
  const expected = `compare job ${compare.jobId} reported ${reported} only in HealthLake`;
  const differences = scopeDifferences(compare.scope, input.scope);
  if (differences.length > 0)
    throw new OperationOutcomeError(
      conflict(
        `The prune's scope differs from its compare's: ${differences.join('; ')}. Repeat the compare's scope (${expected}); nothing was started`,
      ),
    );
  if (compare.target !== undefined && compare.target !== target)
    throw new OperationOutcomeError(
      conflict(
        `The subscription's endpoint or replication settings changed since compare job ${compare.jobId}; run a new compare; nothing was started`,
      ),
    );
  if (reported !== input.pruneConfirmation)
    throw new OperationOutcomeError(
      conflict(
        `pruneConfirmation must be ${reported}, the only-in-HealthLake count compare job ${compare.jobId} reported (given: ${input.pruneConfirmation}); nothing was started`,
      ),
    );
};
