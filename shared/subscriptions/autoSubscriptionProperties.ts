/** What the auto-managed Subscription is made from (the deploy-time custom resource's input). */
export interface AutoSubscriptionSettings {
  readonly connectorId: string;
  readonly criteria: string;
  /** The data store endpoint the subscription targets. */
  readonly endpoint: string;
  /** The allow-list the endpoint, and every stored Subscription, is checked against. */
  readonly allowedEndpoints: readonly string[];
  /** subscription-delivery-retry-count of the subscription. */
  readonly retryCount: number;
}

/**
 * The custom resource properties the subscription provisioner reads: written by the AutoSubscription
 * construct at deploy time and by local mode at start, so both invoke the provisioner alike.
 */
export const autoSubscriptionProperties = (settings: AutoSubscriptionSettings): Record<string, string> => ({
  ConnectorId: settings.connectorId,
  Criteria: settings.criteria,
  Endpoint: settings.endpoint,
  AllowedEndpoints: settings.allowedEndpoints.join(','),
  RetryCount: String(settings.retryCount),
});
