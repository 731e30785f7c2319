/**
 * A Subscription as the ingest path uses it: validated, with its channel extensions resolved.
 * Produced from the stored FHIR Subscription resource by the subscriptions module.
 */
export interface ActiveSubscription {
  readonly id: string;
  /** `[*]`, `[Type1,Type2]` or `Type?params`, as submitted. */
  readonly criteria: string;
  /** HealthLake data store base URL (`.../datastore/{id}/r4/`), on the deployment's allow-list. */
  readonly endpoint: string;
  /** Extension subscription-send-delete-messages (default false, as in HAPI). */
  readonly sendDeleteMessages: boolean;
  /** Extension subscription-resthook-deliver-latest-version (default false). */
  readonly deliverLatestVersion: boolean;
  /** Extension subscription-delivery-retry-count; undefined = the queue's redrive limit. */
  readonly deliveryRetryCount?: number;
  /** Extension subscription-resthook-strip-version-ids (default false). */
  readonly stripVersionIds: boolean;
  /** Subscription.end: after this instant the subscription no longer matches. */
  readonly end?: string;
}
