import { CfnOutput } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { HLC_STACK_OUTPUTS as HLC } from '../../shared/operator/stackOutputs.js';

/** What the connector stack outputs (README, step 4, lists every output; a test keeps them equal). */
export interface ConnectorOutputs {
  /** The configured connector id: the `connector` dimension of its metrics (`hlc status`). */
  readonly connectorId: string;
  readonly ingestApiUrl: string;
  /** `bearer` or `iam` (SigV4; `hlc --iam`). */
  readonly ingestAuthMode: string;
  readonly delivererRoleArn: string;
  readonly deliveryQueue: sqs.IQueue;
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  readonly deliveryEventSourceMappingId: string;
  readonly delivererFunctionName: string;
  readonly stateTableName: string;
  readonly alarmTopicArn: string;
  readonly dashboardName: string;
  /** Page-work queues by name (`Backfill`, `Reconcile`): `{name}QueueUrl`, `{name}DeadLetterQueueUrl`. */
  readonly pageQueues: Readonly<
    Record<string, { readonly queue: sqs.IQueue; readonly deadLetterQueue: sqs.IQueue }>
  >;
  /** The database `sqlTarget.createCluster` created, when it is on. */
  readonly sqlCluster?: {
    readonly clusterIdentifier: string;
    readonly clusterEndpoint: string;
    readonly proxyEndpoint: string;
    readonly adminSecretArn: string;
  };
  /** Log groups by output name; absent ones (an option that is off) get no output. */
  readonly logGroups: Readonly<Record<string, logs.ILogGroup | undefined>>;
}

/**
 * The stack outputs: what producers, the customer role and `hlc` need (`hlc --stack` reads the ones
 * named in HLC_STACK_OUTPUTS), and the names of the log groups, which CloudFormation generates.
 */
export const addConnectorOutputs = (scope: Construct, outputs: ConnectorOutputs): void => {
  const named: [name: string, value: string, description?: string][] = [
    [HLC.connectorId, outputs.connectorId, 'hlc: HLC_CONNECTOR_ID (the connector dimension of the metrics)'],
    [HLC.apiUrl, outputs.ingestApiUrl, 'FHIR base URL producers send to'],
    [
      HLC.auth,
      outputs.ingestAuthMode,
      'How the ingest API authenticates: bearer (tokens) or iam (SigV4; hlc --iam)',
    ],
    ['DelivererRoleArn', outputs.delivererRoleArn, 'The principal the customer role trusts'],
    [HLC.deliveryQueueUrl, outputs.deliveryQueue.queueUrl, 'hlc: HLC_DELIVERY_QUEUE_URL'],
    [HLC.dlqUrl, outputs.deliveryDeadLetterQueue.queueUrl, 'hlc: HLC_DLQ_URL'],
    [
      'DeliveryDeadLetterQueueArn',
      outputs.deliveryDeadLetterQueue.queueArn,
      'aws sqs start-message-move-task --source-arn',
    ],
    ['DeliveryQueueArn', outputs.deliveryQueue.queueArn, 'aws sqs start-message-move-task --destination-arn'],
    [
      HLC.deliveryMappingId,
      outputs.deliveryEventSourceMappingId,
      'hlc delivery pause|resume: HLC_DELIVERY_MAPPING_ID',
    ],
    [HLC.delivererFunction, outputs.delivererFunctionName],
    ['StateTableName', outputs.stateTableName],
    ['AlarmTopicArn', outputs.alarmTopicArn],
    ['DashboardName', outputs.dashboardName],
    ...Object.entries(outputs.pageQueues).flatMap(
      ([name, { queue, deadLetterQueue }]): [string, string][] => [
        [`${name}QueueUrl`, queue.queueUrl],
        [`${name}DeadLetterQueueUrl`, deadLetterQueue.queueUrl],
      ],
    ),
    ...(outputs.sqlCluster === undefined
      ? []
      : ([
          ['SqlClusterIdentifier', outputs.sqlCluster.clusterIdentifier],
          [
            'SqlClusterEndpoint',
            outputs.sqlCluster.clusterEndpoint,
            'Writer endpoint (reached only by the proxy)',
          ],
          ['SqlProxyEndpoint', outputs.sqlCluster.proxyEndpoint, 'The SQL writer connects here (IAM, TLS)'],
          [
            'SqlAdminSecretArn',
            outputs.sqlCluster.adminSecretArn,
            'Admin user and password (rotated); hlc sql schema --apply can use it',
          ],
        ] satisfies [string, string, string?][])),
    ...Object.entries(outputs.logGroups).flatMap(([name, group]): [string, string][] =>
      group === undefined ? [] : [[name, group.logGroupName]],
    ),
  ];
  for (const [name, value, description] of named) {
    new CfnOutput(scope, name, { value, ...(description === undefined ? {} : { description }) });
  }
};
