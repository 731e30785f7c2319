import { Duration, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envEntries } from '../../shared/config/envVar.js';
import { DELIVERY_DEPLOYED_STATE_TAG } from '../../shared/operator/deliverySwitch.js';
import { DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';
import { ConnectorFunction, type ConnectorLogLevel } from './ConnectorFunction.js';
import {
  HEALTHLAKE_WRITE_ACTIONS,
  healthLakeDataStoreArn,
  healthLakeKeyWriteStatements,
  type HealthLakeDataStoreRef,
} from './healthLakeDataStores.js';
import { bindSourceServer, type SourceFhirServer } from './sourceServer.js';

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
      /** Every allowed data store, each with its customer-managed key if it has one. */
      readonly dataStores: readonly HealthLakeDataStoreRef[];
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
  /**
   * Deploy the event source mapping disabled (`delivery.paused`): writes wait in the queue.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * Scripts run after bundling (the validator's definitions, which payload-search results are checked
   * against as backfill checks what it reads). @default none
   */
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
    if (props.access.mode === 'sameAccount' && props.access.dataStores.length === 0) {
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
      ...(props.bundlingScripts === undefined ? {} : { bundlingScripts: props.bundlingScripts }),
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
          resources: access.dataStores.map((store) => healthLakeDataStoreArn(this, store)),
        }),
      );
      for (const statement of healthLakeKeyWriteStatements(access.dataStores)) {
        this.function.addToRolePolicy(statement);
      }
    }

    if (props.source !== undefined) bindSourceServer(this, this.function, props.source);

    const paused = props.paused ?? false;
    this.eventSource = new sources.SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
      enabled: !paused,
    });
    this.function.addEventSource(this.eventSource);
    // The deployed switch position, so `hlc status` can tell a hand-made pause or resume (which the
    // next deploy that updates the mapping undoes) from the configured one.
    const mapping = this.function.node
      .findAll()
      .find((child) => child instanceof lambda.CfnEventSourceMapping);
    if (mapping === undefined) throw new Error(`Deliverer ${id}: no event source mapping was created`);
    Tags.of(mapping).add(DELIVERY_DEPLOYED_STATE_TAG, paused ? 'paused' : 'running');
  }
}
