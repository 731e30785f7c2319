/**
 * The connector's single DynamoDB table. Key schema: `pk` (HASH, S), `sk` (RANGE, S); TTL attribute
 * `expiresAt` (epoch seconds). No GSIs. Every module builds its keys here so the layout is one page.
 *
 * | item                  | pk                     | sk                 |
 * |-----------------------|------------------------|--------------------|
 * | version ledger        | `RES#{Type}/{id}`      | `LATEST`           |
 * | delivered version     | `RES#{Type}/{id}`      | `DELIVERED#{endpoint}` |
 * | subscription          | `SUBSCRIPTION`         | `{id}`             |
 * | subscription count    | `SUBSCRIPTION#LIMIT`   | `MEMBERS`          |
 * | backfill job          | `JOB#{jobId}`          | `JOB`              |
 * | reconcile job         | `RECONCILE#{jobId}`    | `JOB`              |
 * | compare's orphan      | `RECONCILE#{jobId}`    | `ORPHAN#{Type}/{id}` |
 * | delivery attempts     | `MSG#{messageId}`      | `ATTEMPTS`         |
 * | source subscription   | `NOTIFYSOURCE`         | `{source Subscription id}` |
 *
 * A source subscription item is what the connector, as a Subscriptions Backport subscriber, knows
 * of one Subscription on the source server: its event counter, heartbeats and missed-event counts.
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

export const ledgerKey = (resourceKey: string) => ({ pk: `RES#${resourceKey}`, sk: 'LATEST' });
export const deliveredKey = (resourceKey: string, endpoint: string) => ({
  pk: `RES#${resourceKey}`,
  sk: `DELIVERED#${endpoint}`,
});
export const SUBSCRIPTION_PARTITION = 'SUBSCRIPTION';
export const subscriptionKey = (id: string) => ({ pk: SUBSCRIPTION_PARTITION, sk: id });
/** The item whose member map counts the live Subscriptions (subscriptions.maxCount). */
export const subscriptionLimitKey = { pk: 'SUBSCRIPTION#LIMIT', sk: 'MEMBERS' } as const;
export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
export const reconcileJobKey = (jobId: string) => ({ pk: `RECONCILE#${jobId}`, sk: 'JOB' });
/** An only-in-HealthLake id (`Type/id`, HealthLake's id) a compare job listed, for a later prune. */
export const RECONCILE_ORPHAN_PREFIX = 'ORPHAN#';
export const reconcileOrphanKey = (jobId: string, key: string) => ({
  pk: `RECONCILE#${jobId}`,
  sk: `${RECONCILE_ORPHAN_PREFIX}${key}`,
});
/** Failed delivery attempts of one SQS message (its id survives every receive; a redrive makes a new one). */
export const attemptsKey = (messageId: string) => ({ pk: `MSG#${messageId}`, sk: 'ATTEMPTS' });
export const SOURCE_SUBSCRIPTION_PARTITION = 'NOTIFYSOURCE';
export const sourceSubscriptionKey = (subscriptionId: string) => ({
  pk: SOURCE_SUBSCRIPTION_PARTITION,
  sk: subscriptionId,
});
