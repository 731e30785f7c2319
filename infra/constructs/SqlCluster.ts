import type { CfnResource } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ConnectorConfig } from '../config/parseConnectorConfig.js';

/** The options of `sqlTarget.createCluster` (validated, defaults applied). */
export type SqlClusterConfig = NonNullable<NonNullable<ConnectorConfig['sqlTarget']>['createCluster']>;

/**
 * Aurora PostgreSQL 16: Serverless v2 and RDS Proxy both support it. A newer major version is a
 * deliberate change (an in-place major upgrade), so it is pinned here, not taken from the latest.
 */
export const SQL_CLUSTER_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_13;
/** Not PostgreSQL's 5432 (AwsSolutions-RDS11); only the proxy connects to it. */
export const SQL_CLUSTER_PORT = 5433;
/** RDS Proxy listens on its engine's port whatever the cluster's. */
export const SQL_PROXY_PORT = 5432;

export interface SqlClusterProps {
  readonly config: SqlClusterConfig;
  /** `sqlClusterIdentifier(...)`: known before deploy, so the stack can own the log group. */
  readonly clusterIdentifier: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.ISubnet[];
  /** The only security group that may reach the proxy (the SQL writer's). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** Storage, admin secret and log group key (the stack's data key). */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The database `sqlTarget.createCluster` asks for: an Aurora Serverless v2 PostgreSQL cluster (storage,
 * secret and logs under the stack's key, IAM database authentication, deletion protection, backups) and
 * an RDS Proxy in front of it that requires TLS and IAM. Network: the client's security group reaches
 * the proxy, the proxy (and the secret's rotation) reach the cluster, nothing else does.
 */
export class SqlCluster extends Construct {
  public readonly cluster: rds.DatabaseCluster;
  public readonly proxy: rds.DatabaseProxy;
  /** The admin secret (RDS's JSON: username, password, host, ...); the proxy logs in with it. */
  public readonly adminSecret: rds.DatabaseSecret;
  public readonly proxySecurityGroup: ec2.SecurityGroup;
  public readonly clusterSecurityGroup: ec2.SecurityGroup;
  public readonly rotation: secretsmanager.SecretRotation;

  public constructor(scope: Construct, id: string, props: SqlClusterProps) {
    super(scope, id);
    const { config, vpc } = props;
    const vpcSubnets = { subnets: props.subnets };

    this.adminSecret = new rds.DatabaseSecret(this, 'AdminSecret', {
      username: config.adminUser,
      encryptionKey: props.encryptionKey,
    });
    this.clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc,
      description: 'SQL target cluster: reached only through its RDS Proxy and by its secret rotation',
      allowAllOutbound: false,
    });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc,
      description: 'SQL target RDS Proxy: reached only from the SQL writer security group',
      allowAllOutbound: false,
    });

    // The log group RDS would create has no retention and no key; PostgreSQL's error lines may quote values.
    const logGroup = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const snapshot = config.removalPolicy === 'snapshot';
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: SQL_CLUSTER_ENGINE_VERSION }),
      clusterIdentifier: props.clusterIdentifier,
      writer: rds.ClusterInstance.serverlessV2('Writer', { publiclyAccessible: false }),
      serverlessV2MinCapacity: config.minCapacityAcu,
      serverlessV2MaxCapacity: config.maxCapacityAcu,
      credentials: rds.Credentials.fromSecret(this.adminSecret),
      defaultDatabaseName: config.databaseName,
      port: SQL_CLUSTER_PORT,
      vpc,
      vpcSubnets,
      securityGroups: [this.clusterSecurityGroup],
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      iamAuthentication: true,
      deletionProtection: config.deletionProtection,
      removalPolicy: snapshot ? RemovalPolicy.SNAPSHOT : RemovalPolicy.RETAIN,
      backup: { retention: Duration.days(config.backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    // The cluster resource alone waits for its log group (its proxy's role is in the key's policy).
    (this.cluster.node.defaultChild as CfnResource).addResourceDependency(
      logGroup.node.defaultChild as CfnResource,
    );

    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [this.adminSecret],
      vpc,
      vpcSubnets,
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
      iamAuth: true,
    });

    // Each hop names its peer's security group: no address range is ever opened.
    this.proxySecurityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(SQL_PROXY_PORT),
      'The SQL writer connects to the proxy',
    );
    // CDK opens proxy -> cluster (and below rotation -> cluster) itself, peer to peer.
    this.rotation = this.cluster.addRotationSingleUser({ vpcSubnets });
    pinPorts(this.clusterSecurityGroup);
    pinPorts(this.proxySecurityGroup);
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    const ack = (construct: Construct, id: string, reason: string) =>
      Validations.of(construct).acknowledge({ id, reason });
    const writer = this.cluster.node.findChild('Writer');
    ack(
      writer,
      'HIPAA.Security-RDSEnhancedMonitoringEnabled',
      "Serverless v2's load is in the RDS CloudWatch metrics (ACUUtilization, ServerlessDatabaseCapacity, CPUUtilization, DatabaseConnections) and the proxy's; enhanced monitoring adds per-second OS process lists to an RDSOSMetrics log group outside the stack's key and retention, which the connector does not use.",
    );
    ack(
      writer,
      'HIPAA.Security-RDSInBackupPlan',
      'Aurora backs the cluster up continuously (point-in-time restore over createCluster.backupRetentionDays, 1-35 days) and the stack leaves a final snapshot or the cluster itself on deletion; an AWS Backup plan is an account-level choice the operator can add.',
    );
    ack(
      this.proxy,
      'HIPAA.Security-IAMNoInlinePolicy',
      "The proxy role's policy is generated by CDK (read the admin secret, decrypt it with the stack's key) for this one role and is created and deleted with it.",
    );
  }
}

/**
 * CDK writes the rules between the cluster and its peers (proxy, rotation) with the cluster's
 * `Endpoint.Port` attribute as port, which cdk-nag's port rules cannot read; the port is known
 * (SQL_CLUSTER_PORT), so it is written as a number and the rules check it.
 */
const pinPorts = (group: ec2.SecurityGroup): void => {
  for (const child of group.node.children) {
    const rule = child instanceof ec2.CfnSecurityGroupIngress || child instanceof ec2.CfnSecurityGroupEgress;
    if (rule && Token.isUnresolved(child.fromPort)) {
      child.fromPort = SQL_CLUSTER_PORT;
      child.toPort = SQL_CLUSTER_PORT;
    }
  }
};
