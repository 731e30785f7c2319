import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { acknowledgeKmsGrantWildcards } from './acknowledgeKmsGrantWildcards.js';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import { CONDITIONED_STORES, tableActionsOf, type TableStore } from '../../shared/state/tableActions.js';
import { ledgerKey, TABLE_KEYS } from '../../shared/state/tableLayout.js';

export interface ConnectorStateProps {
  /**
   * Key encrypting the table.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN (it holds the version ledger, subscriptions and backfill jobs)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The connector's single DynamoDB table (layout in shared/state/tableLayout.ts): on-demand,
 * point-in-time recovery, customer-managed KMS encryption, TTL on `expiresAt`, deletion protection.
 */
export class ConnectorState extends Construct {
  public readonly table: dynamodb.Table;
  public readonly encryptionKey: kms.IKey;

  public constructor(scope: Construct, id: string, props: ConnectorStateProps = {}) {
    super(scope, id);
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        enableKeyRotation: true,
        description: 'Encrypts the connector state table',
      });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    Validations.of(this.table).acknowledge({
      id: 'HIPAA.Security-DynamoDBInBackupPlan',
      reason:
        'The state table has point-in-time recovery (35 days of restorable history) and deletion protection; it holds the version ledger and subscriptions, which are rebuilt from the source server if lost. Organisations that mandate AWS Backup attach the table to their plan by tag or ARN.',
    });
  }

  /**
   * Grants `fn` exactly the table actions the stores it builds send (shared/state/tableActions.ts),
   * plus use of the table key, and names the table in its environment. Scan and BatchWriteItem only
   * for `$reset-version`, under conditions (resetGrant).
   */
  public bindStores(fn: lambda.Function, stores: readonly TableStore[]): iam.Grant {
    fn.addEnvironment(ENV.stateTable, this.table.tableName);
    acknowledgeKmsGrantWildcards(fn.role, 'the state table');
    this.encryptionKey.grantEncryptDecrypt(fn);
    if (stores.includes('versionStateReset')) this.resetGrant(fn);
    const plain = stores.filter((store) => !CONDITIONED_STORES.includes(store));
    return this.table.grant(fn, ...tableActionsOf(plain));
  }

  /**
   * `$reset-version` (admin scope): Query and BatchWriteItem (its deletes) only on resource partitions
   * (`RES#...`, the ledger and delivered versions), Scan only for the key attributes, so the function
   * can neither read subscriptions or jobs through it nor touch their items.
   */
  private resetGrant(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:Query'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ledgerKey('').pk}*`] } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Scan'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [TABLE_KEYS.partition, TABLE_KEYS.sort] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
  }
}
