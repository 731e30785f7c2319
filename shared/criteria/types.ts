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
  /**
   * True when the resource matches. With `sourceQuery`, true means it matches every parameter that can
   * be evaluated in memory; the source server decides the rest.
   */
  matches(resource: FhirResource): boolean;
  /**
   * The first criterion a resource fails, by name, never value: `resourceType`, or a parameter as written
   * (`code`, `subject:Patient`); undefined when `matches` is true. For the troubleshooting log and
   * `$explain-subscriptions`.
   */
  firstFailure?(resource: FhirResource): string | undefined;
  /** Result parameters (`_format`, `_count`, ...) that were given and are ignored. */
  readonly ignoredParameters?: readonly string[];
  /** Parameters only the source server can evaluate (chains, `_has`, `_text`, ...), as written. */
  readonly sourceParameters?: readonly string[];
  /**
   * With `sourceParameters`: the query (`a=1&b.c=2`, as written, result parameters removed) a search
   * `Type?_id={id}&{sourceQuery}` on the source server runs to decide whether a resource matches.
   */
  readonly sourceQuery?: string;
}

/** How `compileCriteria` treats what it cannot evaluate in memory. */
export interface CompileOptions {
  /**
   * Accept parameters that need the source server (a search per matching write, see `sourceQuery`);
   * false refuses them with a 400 that says how to configure a source. @default false
   */
  readonly sourceEvaluation?: boolean;
}
