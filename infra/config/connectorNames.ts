import { createHash } from 'node:crypto';
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

/** RDS DB cluster identifiers: a letter, then letters, digits and single hyphens, at most 63, lower case. */
const RDS_IDENTIFIER_MAX = 63;

/**
 * The identifier of the cluster `sqlTarget.createCluster` creates (it also names the cluster's log group,
 * `/aws/rds/cluster/{identifier}/postgresql`, which the stack creates with retention and its key).
 * `_` becomes `-`, runs of `-` become one; past 63 characters it ends in a hash of the whole name.
 *
 * @example
 * sqlClusterIdentifier('example_connector', 'warehouse') // 'hlc-example-connector-warehouse'
 */
export const sqlClusterIdentifier = (connectorId: string, targetName: string): string => {
  const name = `hlc-${connectorId}-${targetName}`.toLowerCase().replaceAll('_', '-').replace(/-+/g, '-');
  const whole = name.replace(/-$/, '');
  if (whole.length <= RDS_IDENTIFIER_MAX) return whole;
  const hash = createHash('sha256').update(whole).digest('hex').slice(0, 8);
  return `${whole.slice(0, RDS_IDENTIFIER_MAX - hash.length - 1).replace(/-$/, '')}-${hash}`;
};
