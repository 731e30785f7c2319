import { CfnOutput } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What the connector stack outputs (README, step 4, lists every output; a test keeps them equal). */
export interface ConnectorOutputs {
  readonly ingestApiUrl: string;
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
  /** Log groups by output name; absent ones (an option that is off) get no output. */
  readonly logGroups: Readonly<Record<string, logs.ILogGroup | undefined>>;
}

/**
 * The stack outputs: what producers, the customer role and `hlc` need (the queue URLs are the CLI's
 * HLC_*_QUEUE_URL variables), and the names of the log groups, which CloudFormation generates.
 */
export const addConnectorOutputs = (scope: Construct, outputs: ConnectorOutputs): void => {
  new CfnOutput(scope, 'IngestApiUrl', {
    value: outputs.ingestApiUrl,
    description: 'FHIR base URL producers send to',
  });
  new CfnOutput(scope, 'DelivererRoleArn', {
    value: outputs.delivererRoleArn,
    description: 'The principal the customer role trusts',
  });
  new CfnOutput(scope, 'DeliveryQueueUrl', {
    value: outputs.deliveryQueue.queueUrl,
    description: 'hlc: HLC_DELIVERY_QUEUE_URL',
  });
  new CfnOutput(scope, 'DeliveryDeadLetterQueueUrl', {
    value: outputs.deliveryDeadLetterQueue.queueUrl,
    description: 'hlc: HLC_DLQ_URL',
  });
  new CfnOutput(scope, 'DeliveryDeadLetterQueueArn', {
    value: outputs.deliveryDeadLetterQueue.queueArn,
    description: 'aws sqs start-message-move-task --source-arn',
  });
  new CfnOutput(scope, 'DeliveryQueueArn', {
    value: outputs.deliveryQueue.queueArn,
    description: 'aws sqs start-message-move-task --destination-arn',
  });
  new CfnOutput(scope, 'DeliveryEventSourceMappingId', {
    value: outputs.deliveryEventSourceMappingId,
    description: 'hlc delivery pause|resume: HLC_DELIVERY_MAPPING_ID',
  });
  new CfnOutput(scope, 'DelivererFunctionName', { value: outputs.delivererFunctionName });
  new CfnOutput(scope, 'StateTableName', { value: outputs.stateTableName });
  new CfnOutput(scope, 'AlarmTopicArn', { value: outputs.alarmTopicArn });
  new CfnOutput(scope, 'DashboardName', { value: outputs.dashboardName });
  for (const [name, { queue, deadLetterQueue }] of Object.entries(outputs.pageQueues)) {
    new CfnOutput(scope, `${name}QueueUrl`, { value: queue.queueUrl });
    new CfnOutput(scope, `${name}DeadLetterQueueUrl`, { value: deadLetterQueue.queueUrl });
  }
  for (const [name, group] of Object.entries(outputs.logGroups)) {
    if (group !== undefined) new CfnOutput(scope, name, { value: group.logGroupName });
  }
};
