import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';

/**
 * The CloudFormation `Create` event the CDK Provider framework would pass the provisioner at deploy
 * time, for local mode's start.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 */
export const customResourceCreate = (
  properties: Record<string, string>,
): CloudFormationCustomResourceCreateEvent => ({
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:local:000000000000:function:provider',
  ResponseURL: 'http://127.0.0.1:9/local-mode-has-no-response-url',
  StackId: 'arn:aws:cloudformation:local:000000000000:stack/local/0',
  RequestId: `local-${Date.now()}`,
  LogicalResourceId: 'AutoSubscription',
  ResourceType: 'Custom::AutoManagedSubscription',
  ResourceProperties: { ServiceToken: 'local', ...properties },
});
