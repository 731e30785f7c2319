import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  HEALTHLAKE_READ_ACTIONS,
  HEALTHLAKE_WRITE_ACTIONS,
  healthLakeKeyReadStatement,
  healthLakeKeyStatements,
} from '../constructs/Deliverer.js';
import { NoBootstrapSynthesizer } from './NoBootstrapSynthesizer.js';

export interface CustomerAccessStackProps extends StackProps {
  /** Account the connector runs in (trusted, with the conditions below). */
  readonly connectorAccount: string;
  /** The deliverer's role: the only principal of that account allowed to assume this role. */
  readonly delivererRoleArn: string;
  /**
   * The reconcile worker's role, when the connector's configuration enables reconcile: it may assume
   * this role too, which then also allows HealthLake reads (ReadResource, SearchWithGet).
   */
  readonly reconcileRoleArn?: string;
  /** ExternalId the connector must present (sts:ExternalId condition). */
  readonly externalId: string;
  /** Data stores (`arn:aws:healthlake:{region}:{account}:datastore/fhir/{id}`) the role may write. */
  readonly dataStoreArns: readonly string[];
  /** The data stores' customer-managed KMS key, if any. */
  readonly dataStoreKmsKeyArn?: string;
  /** Name of the role (the connector configuration's roleArn ends with it). */
  readonly roleName: string;
  /** IAM path of the role, e.g. `/integrations/`. @default '/' */
  readonly rolePath?: string;
}

/**
 * For the customer's account: the role HealthLake access goes through. It trusts only the connector
 * account's deliverer role (aws:PrincipalArn; and the reconcile worker's when reconcile is enabled)
 * presenting the ExternalId, and allows only the HealthLake write actions on the named data stores
 * (plus ReadResource and SearchWithGet when reconcile is enabled). Deploy it with credentials of the customer's account.
 */
export class CustomerAccessStack extends Stack {
  public readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: CustomerAccessStackProps) {
    super(scope, id, {
      description: 'HealthLake outbound connector: role the connector assumes to write to HealthLake',
      // No bootstrap in the customer's account: no assets, no bootstrap-version check, the template sent
      // inline with the caller's credentials (`cdk deploy` or plain `aws cloudformation deploy`).
      synthesizer: new NoBootstrapSynthesizer(),
      ...props,
    });
    if (props.dataStoreArns.length === 0)
      throw new Error(`${id}: dataStoreArns must name at least one data store`);

    this.role = new iam.Role(this, 'HealthLakeAccessRole', {
      roleName: props.roleName,
      ...(props.rolePath === undefined ? {} : { path: props.rolePath }),
      description:
        'Assumed by the HealthLake outbound connector (ExternalId required) to write FHIR resources',
      // Role chaining from Lambda caps sessions at 1 hour anyway.
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.AccountPrincipal(props.connectorAccount).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId },
        ArnEquals: {
          'aws:PrincipalArn':
            props.reconcileRoleArn === undefined
              ? props.delivererRoleArn
              : [props.delivererRoleArn, props.reconcileRoleArn],
        },
      }),
    });
    // A customer-managed policy (not inline), so the customer's IAM reviews see a named object.
    const statements = [
      new iam.PolicyStatement({
        sid: 'WriteHealthLakeDataStores',
        actions: [...HEALTHLAKE_WRITE_ACTIONS],
        resources: [...props.dataStoreArns],
      }),
    ];
    if (props.reconcileRoleArn !== undefined) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadHealthLakeDataStoresForReconcile',
          actions: [...HEALTHLAKE_READ_ACTIONS],
          resources: [...props.dataStoreArns],
        }),
      );
    }
    if (props.dataStoreKmsKeyArn !== undefined) {
      // The key policy must also allow these to this role (or delegate to the account's IAM).
      statements.push(...healthLakeKeyStatements(props.dataStoreKmsKeyArn, this.region));
      if (props.reconcileRoleArn !== undefined) {
        statements.push(healthLakeKeyReadStatement(props.dataStoreKmsKeyArn, this.region));
      }
    }
    new iam.ManagedPolicy(this, 'HealthLakeWritePolicy', {
      description: 'HealthLake data-plane writes for the outbound connector, on the named data stores only',
      statements,
      roles: [this.role],
    });
    new CfnOutput(this, 'RoleArn', {
      value: this.role.roleArn,
      description: 'healthLake.access.roleArn of the connector configuration',
    });
  }
}
