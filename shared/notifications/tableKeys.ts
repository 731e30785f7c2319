/**
 * Where source subscription states live in the connector's table (shared/state/tableLayout.ts):
 * one item per source Subscription id under one partition, like `SUBSCRIPTION`. Kept here until the
 * table layout page takes it in (it may not be edited from this layer yet).
 *
 * | item                       | pk              | sk                        |
 * |----------------------------|-----------------|---------------------------|
 * | source subscription state  | `NOTIFYSOURCE`  | `{source Subscription id}` |
 */
export const SOURCE_SUBSCRIPTION_PARTITION = 'NOTIFYSOURCE';
export const sourceSubscriptionKey = (subscriptionId: string) => ({
  pk: SOURCE_SUBSCRIPTION_PARTITION,
  sk: subscriptionId,
});
