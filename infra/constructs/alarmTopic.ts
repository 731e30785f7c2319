import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Key encrypting the topic; its key policy must let CloudWatch use it. */
  readonly encryptionKey: kms.IKey;
  /** @default - no e-mail subscription */
  readonly email?: string;
}

/**
 * The encrypted, TLS-only SNS topic the alarms notify. `enforceSSL` makes CDK write a topic policy,
 * which replaces SNS's default one, so the policy must also let CloudWatch publish: only for alarms of
 * this account and region (`aws:SourceAccount`, `aws:SourceArn`), as the AWS Knowledge Center case
 * "CloudWatch alarm does not send SNS notification" describes.
 * https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
 *
 * @example
 * const topic = createAlarmTopic(this, 'AlarmTopic', { encryptionKey: key, email: 'oncall@example.org' });
 */
export const createAlarmTopic = (scope: Construct, id: string, props: AlarmTopicProps): sns.Topic => {
  const stack = Stack.of(scope);
  const topic = new sns.Topic(scope, id, {
    displayName: 'HealthLake connector alarms',
    masterKey: props.encryptionKey,
    enforceSSL: true,
  });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  if (props.email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  return topic;
};
