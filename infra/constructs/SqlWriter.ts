import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { extname } from 'node:path';
import { envEntries } from '../../shared/config/envVar.js';
import { SQL_WRITER_CONTRACT } from '../../shared/runtime/sqlWriterContract.js';
import { sqlClusterIdentifier } from '../config/connectorNames.js';
import type { ConnectorConfig } from '../config/parseConnectorConfig.js';
import { acknowledgeKmsGrantWildcards } from './acknowledgeKmsGrantWildcards.js';
import { ConnectorFunction, type ConnectorLogLevel } from './ConnectorFunction.js';
import { DeliveryQueues } from './DeliveryQueues.js';
import { SQL_PROXY_PORT, SqlCluster, type SqlClusterConfig } from './SqlCluster.js';
import { bindSecretReader } from './secretReference.js';

/** The configuration's `sqlTarget` (validated, defaults applied). */
export type SqlTargetConfig = NonNullable<ConnectorConfig['sqlTarget']>;

/** Where and how the writer connects: the configured database, or the created cluster's proxy. */
interface SqlConnection {
  readonly url: string;
  readonly auth: SqlTargetConfig['auth'];
}

/** Lambda's bundle of the Amazon RDS CA certificates (verify-full checks the server against it). */
export const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';
/** Where a configured mapping file lands in the writer's bundle (Lambda's task root). */
const BUNDLED_MAPPING_DIR = '/var/task';

/** The ENI actions Lambda needs to place a function in a VPC (AWSLambdaVPCAccessExecutionRole's). */
const VPC_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface SqlWriterProps {
  readonly entry: string;
  /** Powertools service name (metrics `service` dimension). */
  readonly serviceName: string;
  /** Names the created cluster (`createCluster`). */
  readonly connectorId: string;
  readonly target: SqlTargetConfig;
  /** Receives before SQS's own redrive: a backstop (the writer counts attempts and dead-letters with the cause). */
  readonly maxReceiveCount: number;
  /** Key of both queues (the stack's data key). */
  readonly encryptionKey: kms.IKey;
  /** The retry timing and connector id, as the deliverer has them. */
  readonly environment: Record<string, string>;
  /** Scripts run after bundling (the FHIR definitions FHIRPath navigates faster with). */
  readonly bundlingScripts?: readonly string[];
  readonly logRetention?: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  readonly logLevel?: ConnectorLogLevel;
}

/**
 * The SQL target's writer (seed 000's relational export): its own FIFO queue and FIFO DLQ (as the
 * delivery queues: KMS, HTTPS only, per-resource groups) and a ConnectorFunction in the database's
 * VPC (the HealthLake deliverer stays outside), fed with ReportBatchItemFailures and MaximumConcurrency.
 * It reads the database password from a Secrets Manager secret, or signs an RDS IAM token
 * (rds-db:connect on exactly the configured database user), and verifies the server's certificate
 * against Lambda's RDS CA bundle.
 */
export class SqlWriter extends Construct {
  public readonly queues: DeliveryQueues;
  public readonly function: ConnectorFunction;
  public readonly eventSource: sources.SqsEventSource;
  /** The database the stack created for it (`createCluster`). */
  public readonly cluster?: SqlCluster;

  public constructor(scope: Construct, id: string, props: SqlWriterProps) {
    super(scope, id);
    const target = props.target;
    const timeout = Duration.seconds(target.timeoutSeconds);
    this.queues = new DeliveryQueues(this, 'Queues', {
      maxReceiveCount: props.maxReceiveCount,
      consumerTimeout: timeout,
      encryptionKey: props.encryptionKey,
    });

    // The subnets are named explicitly, so the VPC's zones are never looked at (no lookup at synth).
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: target.vpc.vpcId,
      availabilityZones: Fn.getAzs(),
    });
    const subnets = target.vpc.subnetIds.map((subnetId) => ec2.Subnet.fromSubnetId(this, subnetId, subnetId));
    const securityGroups: ec2.ISecurityGroup[] = (target.vpc.securityGroupIds ?? []).map((groupId) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, groupId, groupId, { mutable: false }),
    );
    let connection: SqlConnection;
    if (target.createCluster === undefined) {
      if (target.url === undefined)
        throw new Error('unreachable: the configuration gives url or createCluster');
      connection = { url: target.url, auth: target.auth };
    } else {
      this.cluster = this.createDatabase(props, target.createCluster, vpc, subnets, securityGroups);
      const { adminUser, databaseName } = target.createCluster;
      connection = {
        url: `postgres://${adminUser}@${this.cluster.proxy.endpoint}:${SQL_PROXY_PORT}/${databaseName}`,
        auth: 'iam',
      };
    }
    const mapping =
      target.mappingFile === undefined
        ? undefined
        : { source: target.mappingFile, target: `sql-mapping${extname(target.mappingFile)}` };

    this.function = new ConnectorFunction(this, 'Function', {
      entry: props.entry,
      serviceName: props.serviceName,
      description: `Writes matched FHIR resources to the SQL target sql://${target.name} (PostgreSQL)`,
      timeout,
      memorySize: target.memorySizeMb,
      vpc,
      vpcSubnets: { subnets },
      securityGroups,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.logEncryptionKey === undefined ? {} : { logEncryptionKey: props.logEncryptionKey }),
      ...(props.logLevel === undefined ? {} : { logLevel: props.logLevel }),
      ...(props.bundlingScripts === undefined ? {} : { bundlingScripts: props.bundlingScripts }),
      ...(mapping === undefined ? {} : { assetFiles: [mapping] }),
      environment: {
        ...props.environment,
        NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE,
        ...envEntries(SQL_WRITER_CONTRACT, {
          sqlQueueUrl: this.queues.queue.queueUrl,
          sqlDlqUrl: this.queues.deadLetterQueue.queueUrl,
          targetName: target.name,
          url: connection.url,
          auth: connection.auth,
          tls: target.tls,
          schema: target.schema,
          mappingFile: mapping === undefined ? undefined : `${BUNDLED_MAPPING_DIR}/${mapping.target}`,
          applySchema: String(target.applySchema),
          maxConnections: String(target.maxConnections),
          prepareStatements: String(target.prepareStatements),
        }),
      },
    });
    const fn = this.function;

    // The function's role is the connector's own (ConnectorFunction), so CDK does not attach
    // AWSLambdaVPCAccessExecutionRole: the ENI actions it holds, and nothing else, are added here.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'VpcNetworkInterfaces', actions: VPC_ENI_ACTIONS, resources: ['*'] }),
    );
    Validations.of(fn.serviceRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Resource "*" is used by xray:PutTraceSegments/PutTelemetryRecords (active tracing) and by the ENI actions Lambda needs to run the SQL writer in the VPC (those of AWSLambdaVPCAccessExecutionRole): neither X-Ray nor ec2:Describe* have resource-level permissions, and the ENIs are created by Lambda with ids not known at deploy time.',
    });

    if (this.cluster !== undefined) {
      // rds-db:connect on the proxy as exactly the admin user, whose secret the proxy logs in with.
      this.cluster.proxy.grantConnect(fn, target.createCluster?.adminUser);
    } else if (target.auth === 'secret') {
      const { secretId } = bindSecretReader(this, 'Secret', target.secret ?? {}, fn);
      fn.addEnvironment(SQL_WRITER_CONTRACT.secretId.name, secretId);
    } else {
      const stack = Stack.of(this);
      const user = decodeURIComponent(new URL(connection.url).username);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ConnectAsTheDatabaseUser',
          actions: ['rds-db:connect'],
          resources: [
            `arn:${stack.partition}:rds-db:${stack.region}:${stack.account}:dbuser:${target.iamResourceId}/${user}`,
          ],
        }),
      );
    }

    // It dead-letters with the cause itself (its DLQ's URL is in SQL_DLQ_URL above).
    acknowledgeKmsGrantWildcards(fn.role, 'the SQL dead-letter queue');
    this.queues.deadLetterQueue.grantSendMessages(fn);
    this.eventSource = new sources.SqsEventSource(this.queues.queue, {
      batchSize: target.batchSize,
      maxConcurrency: target.maxConcurrency,
      reportBatchItemFailures: true,
    });
    fn.addEventSource(this.eventSource);
  }

  /**
   * `createCluster`: the cluster and proxy in the writer's subnets, and a security group of the
   * writer's own (first in `securityGroups`), the only one the proxy admits.
   */
  private createDatabase(
    props: SqlWriterProps,
    config: SqlClusterConfig,
    vpc: ec2.IVpc,
    subnets: ec2.ISubnet[],
    securityGroups: ec2.ISecurityGroup[],
  ): SqlCluster {
    const writerGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `SQL writer of sql://${props.target.name}: the only client of the created cluster proxy`,
      // Egress to SQS, S3, DynamoDB and the proxy (endpoints or NAT, whichever the subnets route to).
      allowAllOutbound: true,
    });
    securityGroups.unshift(writerGroup);
    // The subnets are given by id: no route table or zone is looked up, none is needed.
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      reason:
        'The cluster and proxy are placed by subnet id; the VPC zones (Fn::GetAZs) are never selected from.',
    });
    for (const subnet of subnets) {
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason:
          'Subnets are configured by id; the stack creates no route or endpoint that needs their route table.',
      });
    }
    return new SqlCluster(this, 'Database', {
      config,
      clusterIdentifier: sqlClusterIdentifier(props.connectorId, props.target.name),
      vpc,
      subnets,
      clientSecurityGroup: writerGroup,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
  }

  /** Lets `fn` (ingest, backfill, reconcile) send SQL-target deliveries to the SQL queue. */
  public bindSender(fn: lambda.Function): iam.Grant {
    acknowledgeKmsGrantWildcards(fn.role, 'the SQL queue');
    return this.queues.queue.grantSendMessages(fn);
  }
}
