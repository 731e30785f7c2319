import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * CDK's SQS and DynamoDB grant helpers add `kms:ReEncrypt*` and `kms:GenerateDataKey*` on the queue's
 * or table's key. The resource is that one key, named; only the action names use a wildcard.
 */
export const acknowledgeKmsGrantWildcards = (role: IConstruct | undefined, granted: string): void => {
  if (role === undefined) return;
  for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `${action} comes from the CDK grant on ${granted}; it is limited to that resource's customer-managed key (a named key ARN), which SQS/DynamoDB use to encrypt data keys.`,
    });
  }
};
