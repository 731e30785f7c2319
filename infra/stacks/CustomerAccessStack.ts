import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  HEALTHLAKE_READ_ACTIONS,
  HEALTHLAKE_WRITE_ACTIONS,
  healthLakeDataStoreArn,
  healthLakeKeyReadStatements,
  healthLakeKeyWriteStatements,
  type HealthLakeDataStoreRef,
} from '../constructs/healthLakeDataStores.js';
import { NoBootstrapSynthesizer } from './NoBootstrapSynthesizer.js';

export interface CustomerAccessStackProps extends StackProps {
  /** Account the connector runs in (trusted, with the conditions below). */
  readonly connectorAccount: string;
  /** Name of the deliverer's role: the only principal of that account allowed to assume this role. */
  readonly delivererRoleName: string;
  /**
   * Name of the reconcile worker's role, when the connector's configuration enables reconcile: it may
   * assume this role too, which then also allows HealthLake reads (ReadResource, SearchWithGet).
   */
  readonly reconcileRoleName?: string;
  /** ExternalId the connector must present (sts:ExternalId condition). */
  readonly externalId: string;
  /** Data stores the role may write, each with its customer-managed KMS key if it has one. */
  readonly dataStores: readonly HealthLakeDataStoreRef[];
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
    if (props.dataStores.length === 0) throw new Error(`${id}: dataStores must name at least one data store`);
    // The connector's roles, in this stack's partition (the connector's, as the configuration checks).
    const connectorRoleArn = (roleName: string) =>
      this.formatArn({
        service: 'iam',
        region: '',
        account: props.connectorAccount,
        resource: 'role',
        resourceName: roleName,
      });
    const delivererRoleArn = connectorRoleArn(props.delivererRoleName);
    const reconcileRoleArn =
      props.reconcileRoleName === undefined ? undefined : connectorRoleArn(props.reconcileRoleName);
    const dataStoreArns = props.dataStores.map((store) => healthLakeDataStoreArn(this, store));

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
            reconcileRoleArn === undefined ? delivererRoleArn : [delivererRoleArn, reconcileRoleArn],
        },
      }),
    });
    // A customer-managed policy (not inline), so the customer's IAM reviews see a named object.
    const statements = [
      new iam.PolicyStatement({
        sid: 'WriteHealthLakeDataStores',
        actions: [...HEALTHLAKE_WRITE_ACTIONS],
        resources: dataStoreArns,
      }),
    ];
    if (reconcileRoleArn !== undefined) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadHealthLakeDataStoresForReconcile',
          actions: [...HEALTHLAKE_READ_ACTIONS],
          resources: dataStoreArns,
        }),
      );
    }
    // Each data store's own key, through HealthLake in its own region. The key policies must also allow
    // these to this role (or delegate to the account's IAM).
    statements.push(...healthLakeKeyWriteStatements(props.dataStores));
    if (reconcileRoleArn !== undefined) statements.push(...healthLakeKeyReadStatements(props.dataStores));
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
