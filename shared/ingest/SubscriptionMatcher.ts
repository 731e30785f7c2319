import type { FhirResource } from '../fhir/types.js';
import type { ActiveSubscription, SubscriptionVerdict } from '../subscriptions/types.js';

/**
 * What the write pipeline needs from the subscriptions module: the active subscriptions a write
 * matches, at most one per distinct endpoint (overlapping criteria must not double-deliver).
 * `ActiveSubscriptionCache` (shared/subscriptions) satisfies it. For a delete the resource is a stub
 * `{ resourceType, id }`: whether a delete is sent is the subscription's `sendDeleteMessages`.
 * `onlySubscriptionId` (backfill) restricts matching to that one subscription.
 */
export interface SubscriptionMatcher {
  match(
    resource: FhirResource,
    operation: 'upsert' | 'delete',
    options?: { readonly onlySubscriptionId?: string },
  ): Promise<readonly ActiveSubscription[]> | readonly ActiveSubscription[];
  /** Each candidate Subscription of the resource's type, matched or not and why (troubleshooting). */
  explain?(resource: FhirResource, operation: 'upsert' | 'delete'): Promise<readonly SubscriptionVerdict[]>;
}
