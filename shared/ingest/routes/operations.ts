/**
 * An operation a plugged-in route serves, as the CapabilityStatement lists it. `on` says where it is
 * invoked: `system` (`[base]/$name...`, listed in `rest.operation`), `Subscription` (on a Subscription,
 * listed on that resource), or `clinical` (on every clinical type, type and instance level, listed on
 * each).
 */
export interface FhirOperation {
  /** Without the `$`: `reconcile`, `reset-version`, `backfill-job`... */
  readonly name: string;
  readonly on: 'system' | 'Subscription' | 'clinical';
  /** Canonical URL of its OperationDefinition. */
  readonly definition: string;
  /** The paths and methods it answers, and what it does, for a reader of `GET metadata`. */
  readonly documentation: string;
}

/** The connector's own OperationDefinitions are named under this base (they are not served). */
export const OPERATION_DEFINITION_BASE = 'urn:healthlake-connector:OperationDefinition:';

/** `$reset-version` (shared/ingest/routes/handleResetVersion.ts). */
export const RESET_VERSION_OPERATIONS: readonly FhirOperation[] = [
  {
    name: 'reset-version',
    on: 'clinical',
    definition: `${OPERATION_DEFINITION_BASE}reset-version`,
    documentation:
      "POST [base]/{type}/{id}/$reset-version clears that resource's version ledger entry and delivered versions; POST [base]/{type}/$reset-version every resource of the type. The next write is delivered whatever its version.",
  },
];

/** `$explain-subscriptions` (shared/ingest/routes/handleExplainSubscriptions.ts). */
export const EXPLAIN_SUBSCRIPTIONS_OPERATIONS: readonly FhirOperation[] = [
  {
    name: 'explain-subscriptions',
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}explain-subscriptions`,
    documentation:
      'POST [base]/$explain-subscriptions with a resource: which active Subscriptions it matches and, for the others, the first parameter that failed. Writes nothing.',
  },
];
