import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envEntries } from '../../shared/config/envVar.js';
import { DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';
import { ConnectorFunction, type ConnectorLogLevel } from './ConnectorFunction.js';
import { bindSourceServer, type SourceFhirServer } from './sourceServer.js';

/** The HealthLake data-plane actions the connector needs: writes only, never reads or searches. */
export const HEALTHLAKE_WRITE_ACTIONS = [
  'healthlake:CreateResource',
  'healthlake:UpdateResource',
  'healthlake:DeleteResource',
] as const;

/** The data-plane reads reconcile needs (Service Authorization Reference: both on `datastore`). */
export const HEALTHLAKE_READ_ACTIONS = ['healthlake:ReadResource', 'healthlake:SearchWithGet'] as const;

/**
 * What a HealthLake writer needs on a data store's customer-managed key, per the HealthLake developer
 * guide (Encryption at rest): kms:DescribeKey (every operation), kms:GenerateDataKey (writes) and
 * kms:CreateGrant; kms:Decrypt only serves reads and searches, which the deliverer never makes. Both
 * only through HealthLake in the data store's region, and grants only for AWS resources.
 * https://docs.aws.amazon.com/healthlake/latest/devguide/encryption-at-rest.html
 */
export const healthLakeKeyStatements = (keyArn: string, dataStoreRegion: string): iam.PolicyStatement[] => {
  const viaHealthLake = { 'kms:ViaService': `healthlake.${dataStoreRegion}.amazonaws.com` };
  return [
    new iam.PolicyStatement({
      sid: 'UseHealthLakeDataStoreKey',
      actions: ['kms:DescribeKey', 'kms:GenerateDataKey'],
      resources: [keyArn],
      conditions: { StringEquals: viaHealthLake },
    }),
    new iam.PolicyStatement({
      sid: 'GrantHealthLakeDataStoreKey',
      actions: ['kms:CreateGrant'],
      resources: [keyArn],
      conditions: { StringEquals: viaHealthLake, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  ];
};

/**
 * What a HealthLake reader (reconcile) needs on the data store's customer-managed key, per the same
 * guide: kms:DescribeKey and kms:Decrypt, only through HealthLake in the data store's region.
 */
export const healthLakeKeyReadStatement = (keyArn: string, dataStoreRegion: string): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: 'ReadWithHealthLakeDataStoreKey',
    actions: ['kms:DescribeKey', 'kms:Decrypt'],
    resources: [keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `healthlake.${dataStoreRegion}.amazonaws.com` } },
  });

/** How the deliverer reaches HealthLake. */
export type HealthLakeAccess =
  | {
      /** Assume the customer's role (role chaining, sessions of at most 1 hour). */
      readonly mode: 'crossAccount';
      readonly roleArn: string;
      readonly externalId: string;
      /** STS session length, 900-3600 s (role chaining caps it at one hour). @default 3600 */
      readonly sessionDurationSeconds?: number;
    }
  | {
      /** Use the function's own credentials on data stores in this account. */
      readonly mode: 'sameAccount';
      /** `arn:aws:healthlake:{region}:{account}:datastore/fhir/{id}` of every allowed data store. */
      readonly dataStoreArns: readonly string[];
      /** The data stores' customer-managed key, if any. */
      readonly dataStoreKmsKeyArn?: string;
      /** Region of the data stores (the key is used through HealthLake there). */
      readonly dataStoreRegion: string;
    };

type CustomerRoleAccess = Extract<HealthLakeAccess, { mode: 'crossAccount' }>;

/** The customer role's variables (DELIVERER_CONTRACT's names, which the reconcile worker shares). */
export const customerRoleEnvironment = (access: CustomerRoleAccess): Record<string, string> =>
  envEntries(DELIVERER_CONTRACT, {
    healthLakeRoleArn: access.roleArn,
    healthLakeExternalId: access.externalId,
    healthLakeSessionDurationSeconds:
      access.sessionDurationSeconds === undefined ? undefined : String(access.sessionDurationSeconds),
  });

/** sts:AssumeRole on the customer role, only with its ExternalId. */
export const assumeCustomerRoleStatement = (access: { roleArn: string; externalId: string }) =>
  new iam.PolicyStatement({
    sid: 'AssumeCustomerHealthLakeRole',
    actions: ['sts:AssumeRole'],
    resources: [access.roleArn],
    conditions: { StringEquals: { 'sts:ExternalId': access.externalId } },
  });

export interface DelivererProps {
  readonly entry: string;
  /** The FIFO delivery queue the function consumes. */
  readonly queue: sqs.IQueue;
  readonly access: HealthLakeAccess;
  /** Powertools service name (metrics `service` dimension). */
  readonly serviceName: string;
  /** Messages per invocation, 1-10 (FIFO). */
  readonly batchSize: number;
  /** Event source mapping MaximumConcurrency, 2-1000: the cap on parallel HealthLake writers. */
  readonly maxConcurrency: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** Memory, MB: it mostly waits on HealthLake, so CPU (which scales with memory) is not its limit. @default 512 */
  readonly memorySize?: number;
  /**
   * Explicit role name, so the customer role's trust policy can name this role.
   * @default - generated
   */
  readonly roleName?: string;
  readonly logRetention?: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  /** @default 'info' */
  readonly logLevel?: ConnectorLogLevel;
  /** Extra environment (endpoint, region, connector id...). */
  readonly environment?: Record<string, string>;
  /**
   * The source FHIR server payload searches (HAPI subscription-payload-search-criteria) run against,
   * with read access to its secret. @default - none: payload-search deliveries are dead-lettered
   */
  readonly source?: SourceFhirServer;
  /**
   * The Lambda functions of the allow-listed transforms (delivery.transforms): the deliverer may invoke
   * exactly these, and ships the structure validator its output is checked with. @default none
   */
  readonly transformFunctionArns?: readonly string[];
  /** Scripts generating run-time files into the bundle (the validator's definitions). @default none */
  readonly bundlingScripts?: readonly string[];
}

/**
 * The deliverer: a ConnectorFunction fed by the FIFO delivery queue with ReportBatchItemFailures,
 * a FIFO-sized batch and MaximumConcurrency (how users stay below their HealthLake write quota).
 * Its HealthLake permission is exactly one of: sts:AssumeRole on the customer role with the
 * ExternalId, or (same account) the write actions on the named data stores. With `source`, it may also
 * read the source FHIR server (payload search).
 */
export class Deliverer extends Construct {
  public readonly function: ConnectorFunction;
  public readonly eventSource: sources.SqsEventSource;

  public constructor(scope: Construct, id: string, props: DelivererProps) {
    super(scope, id);
    const problems: string[] = [];
    if (!Number.isInteger(props.batchSize) || props.batchSize < 1 || props.batchSize > 10) {
      problems.push(`batchSize must be 1-10 for a FIFO queue, got ${props.batchSize}`);
    }
    if (!Number.isInteger(props.maxConcurrency) || props.maxConcurrency < 2 || props.maxConcurrency > 1000) {
      problems.push(`maxConcurrency must be 2-1000, got ${props.maxConcurrency}`);
    }
    if (props.access.mode === 'sameAccount' && props.access.dataStoreArns.length === 0) {
      problems.push('same-account access needs at least one data store ARN');
    }
    if (problems.length > 0) throw new Error(`Deliverer ${id}: ${problems.join('; ')}`);

    this.function = new ConnectorFunction(this, 'Function', {
      entry: props.entry,
      serviceName: props.serviceName,
      description: 'Delivers queued FHIR writes to Amazon HealthLake',
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 512,
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.logEncryptionKey === undefined ? {} : { logEncryptionKey: props.logEncryptionKey }),
      ...(props.logLevel === undefined ? {} : { logLevel: props.logLevel }),
      ...(props.bundlingScripts === undefined ? {} : { bundlingScripts: props.bundlingScripts }),
      environment: { ...props.environment },
    });
    const transformArns = props.transformFunctionArns ?? [];
    if (transformArns.length > 0) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'InvokeDeliveryTransforms',
          actions: ['lambda:InvokeFunction'],
          resources: [...new Set(transformArns)],
        }),
      );
    }

    const access = props.access;
    if (access.mode === 'crossAccount') {
      for (const [name, value] of Object.entries(customerRoleEnvironment(access))) {
        this.function.addEnvironment(name, value);
      }
      this.function.addToRolePolicy(assumeCustomerRoleStatement(access));
    } else {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'WriteHealthLakeDataStores',
          actions: [...HEALTHLAKE_WRITE_ACTIONS],
          resources: [...access.dataStoreArns],
        }),
      );
      if (access.dataStoreKmsKeyArn !== undefined) {
        for (const statement of healthLakeKeyStatements(access.dataStoreKmsKeyArn, access.dataStoreRegion)) {
          this.function.addToRolePolicy(statement);
        }
      }
    }

    if (props.source !== undefined) bindSourceServer(this, this.function, props.source);

    this.eventSource = new sources.SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.function.addEventSource(this.eventSource);
  }
}
