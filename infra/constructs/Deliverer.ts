import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import { ConnectorFunction } from './ConnectorFunction.js';

/** The HealthLake data-plane actions the connector needs: writes only, never reads or searches. */
export const HEALTHLAKE_WRITE_ACTIONS = [
  'healthlake:CreateResource',
  'healthlake:UpdateResource',
  'healthlake:DeleteResource',
] as const;

/** The data-plane reads reconcile needs (Service Authorization Reference: both on `datastore`). */
export const HEALTHLAKE_READ_ACTIONS = ['healthlake:ReadResource', 'healthlake:SearchWithGet'] as const;

/** How the deliverer reaches HealthLake. */
export type HealthLakeAccess =
  | {
      /** Assume the customer's role (role chaining, sessions of at most 1 hour). */
      readonly mode: 'crossAccount';
      readonly roleArn: string;
      readonly externalId: string;
    }
  | {
      /** Use the function's own credentials on data stores in this account. */
      readonly mode: 'sameAccount';
      /** `arn:aws:healthlake:{region}:{account}:datastore/fhir/{id}` of every allowed data store. */
      readonly dataStoreArns: readonly string[];
      /** The data stores' customer-managed key, if any. */
      readonly dataStoreKmsKeyArn?: string;
    };

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
  /**
   * Explicit role name, so the customer role's trust policy can name this role.
   * @default - generated
   */
  readonly roleName?: string;
  readonly logRetention?: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  /** Extra environment (endpoint, region, connector id...). */
  readonly environment?: Record<string, string>;
}

/**
 * The deliverer: a ConnectorFunction fed by the FIFO delivery queue with ReportBatchItemFailures,
 * a FIFO-sized batch and MaximumConcurrency (how users stay below their HealthLake write quota).
 * Its HealthLake permission is exactly one of: sts:AssumeRole on the customer role with the
 * ExternalId, or (same account) the write actions on the named data stores.
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
      memorySize: 1024,
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.logEncryptionKey === undefined ? {} : { logEncryptionKey: props.logEncryptionKey }),
      environment: { ...props.environment },
    });

    const access = props.access;
    if (access.mode === 'crossAccount') {
      this.function.addEnvironment(ENV.healthLakeRoleArn, access.roleArn);
      this.function.addEnvironment(ENV.healthLakeExternalId, access.externalId);
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
        this.function.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'UseHealthLakeDataStoreKey',
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [access.dataStoreKmsKeyArn],
          }),
        );
      }
    }

    this.eventSource = new sources.SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.function.addEventSource(this.eventSource);
  }
}
