import type { InMemoryDeliveredVersions } from './DeliveredVersions.js';
import { resourceKey } from '../fhir/ids.js';
import type { InMemoryVersionLedger } from './InMemoryVersionLedger.js';
import type { ResetCounts, ResetScope, VersionStateReset } from './VersionStateReset.js';

/** The reset over the in-memory ledger and delivered versions (tests, benchmarks). */
export class InMemoryVersionStateReset implements VersionStateReset {
  public constructor(
    private readonly ledger: InMemoryVersionLedger,
    private readonly delivered?: InMemoryDeliveredVersions,
  ) {}

  public async reset(scope: ResetScope): Promise<ResetCounts> {
    const matches = resetMatcher(scope);
    return {
      ledgerEntries: this.ledger.forget(matches),
      deliveredVersions: (await this.delivered?.forget(matches)) ?? 0,
    };
  }
}

/** Whether a `Type/id` key falls within the scope. */
export const resetMatcher =
  (scope: ResetScope) =>
  (key: string): boolean =>
    scope.id === undefined
      ? key.startsWith(`${scope.resourceType}/`)
      : key === resourceKey(scope.resourceType, scope.id);
