import { sessionNameFor } from '../../shared/healthlake/credentials.js';
import { autoManagedSubscriptionId } from '../../shared/subscriptions/ensureAutoManagedSubscription.js';

/**
 * Every name derived from the connector id (and region), in one place: the README's naming table
 * lists them and a test keeps the two equal. Stack names allow no `_`, FHIR ids neither: there `_`
 * becomes `-`; IAM, CloudWatch, API Gateway and STS keep the id as configured.
 */
export interface ConnectorNames {
  /** The connector stack (`npx cdk deploy ...`, `hlc --stack ...`). */
  readonly stack: string;
  /** The customer role's stack in the data store account (cross-account mode). */
  readonly customerAccessStack: string;
  /** The ingest REST API, and the prefix of its WAF log group (`aws-waf-logs-{this}-{stack id}`). */
  readonly restApi: string;
  readonly dashboard: string;
  /** The deliverer's IAM role: the customer role trusts it by name. */
  readonly delivererRole: string;
  /** The reconcile worker's IAM role (with reconcile). */
  readonly reconcileRole: string;
  /** The auto-managed Subscription's id. */
  readonly autoSubscription: string;
  /** The STS session name of calls into the customer role (CloudTrail). */
  readonly stsSession: string;
  /** The `connector` dimension of the metrics (`hlc --connector-id`). */
  readonly metricsDimension: string;
}

/** CloudFormation stack names allow letters, digits and `-`. */
const stackSafe = (value: string): string => value.replaceAll('_', '-');

/**
 * The names a connector id gives.
 *
 * @example
 * connectorNames({ connectorId: 'example_connector', region: 'us-east-1' }).stack // 'HealthLakeConnector-example-connector'
 */
export const connectorNames = (config: {
  readonly connectorId: string;
  readonly region: string;
}): ConnectorNames => {
  const { connectorId, region } = config;
  return {
    stack: `HealthLakeConnector-${stackSafe(connectorId)}`,
    customerAccessStack: `HealthLakeCustomerAccess-${stackSafe(connectorId)}`,
    restApi: `HealthLakeConnector-${connectorId}`,
    dashboard: `HealthLakeConnector-${connectorId}-${region}`,
    delivererRole: `hlc-${connectorId}-deliverer-${region}`,
    reconcileRole: `hlc-${connectorId}-reconcile-${region}`,
    autoSubscription: autoManagedSubscriptionId(connectorId),
    stsSession: sessionNameFor(connectorId),
    metricsDimension: connectorId,
  };
};
