import type { FhirResource } from '../fhir/types.js';

/**
 * A Subscription criteria compiled once into a matcher. Evaluation does no parsing.
 * `compileCriteria(criteria)` (shared/criteria) builds it and throws an `OperationOutcomeError`
 * naming the parameter when a criterion cannot be evaluated exactly.
 */
export interface CompiledCriteria {
  /** The criteria text as given. */
  readonly source: string;
  /** Resource types that can match; `'*'` = every type except Subscription. */
  readonly resourceTypes: ReadonlySet<string> | '*';
  /** True when the resource matches. */
  matches(resource: FhirResource): boolean;
}
