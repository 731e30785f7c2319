import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** An existing Secrets Manager secret, named by ARN or by name, and the key encrypting it if any. */
export interface SecretReferenceProps {
  readonly arn?: string;
  readonly name?: string;
  /** The secret's customer-managed KMS key; omit for the AWS-managed `aws/secretsmanager` key. */
  readonly kmsKeyArn?: string;
}

/**
 * Imports a secret the user created (the connector never creates credentials itself), grants `fn`
 * read access to it (and decrypt on its key) and returns the id to put in the function's environment.
 */
export const bindSecretReader = (
  scope: Construct,
  id: string,
  reference: SecretReferenceProps,
  fn: lambda.Function,
): { readonly secret: secretsmanager.ISecret; readonly secretId: string } => {
  const secret =
    reference.arn !== undefined
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, reference.arn)
      : secretsmanager.Secret.fromSecretNameV2(scope, id, reference.name ?? '');
  secret.grantRead(fn);
  if (reference.kmsKeyArn !== undefined) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [reference.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${fn.stack.region}.amazonaws.com` } },
      }),
    );
  }
  return { secret, secretId: reference.arn ?? reference.name ?? '' };
};
