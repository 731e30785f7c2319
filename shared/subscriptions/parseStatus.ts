import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import { SUBSCRIPTION_STATUS, type SubscriptionStatus } from './types.js';

/** Every Subscription.status code. */
export const STATUSES: ReadonlySet<unknown> = new Set<unknown>(Object.values(SUBSCRIPTION_STATUS));

/**
 * The status the server gives a submitted Subscription: `requested` becomes `active`, `off` stays;
 * `active`/`error` only as re-submitted (equal to `previousStatus`). Undefined when an issue says why.
 */
export const parseStatus = (
  submitted: unknown,
  previousStatus: SubscriptionStatus | undefined,
  issues: OperationOutcomeIssue[],
): SubscriptionStatus | undefined => {
  let status: SubscriptionStatus | undefined;
  if (submitted === undefined) {
    issues.push(
      issue('required', 'Subscription.status is required (requested or off)', 'Subscription.status'),
    );
  } else if (!STATUSES.has(submitted)) {
    issues.push(
      issue(
        'code-invalid',
        'Subscription.status must be requested, active, error or off',
        'Subscription.status',
      ),
    );
  } else if (submitted === 'requested') {
    status = 'active';
  } else if (submitted === 'off') {
    status = 'off';
  } else if (submitted === previousStatus) {
    status = 'active';
  } else {
    issues.push(
      issue(
        'business-rule',
        'Subscription.status must be requested or off; active and error are set by the server',
        'Subscription.status',
      ),
    );
  }
  return status;
};
