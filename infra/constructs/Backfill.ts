import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import { acknowledgeKmsGrantWildcards } from './acknowledgeKmsGrantWildcards.js';
import { ConnectorFunction, type ConnectorLogLevel } from './ConnectorFunction.js';
import { bindSourceServer, type SourceFhirServer } from './sourceServer.js';

export type { SourceFhirServer } from './sourceServer.js';

export interface BackfillProps {
  readonly entry: string;
  readonly serviceName: string;
  readonly source: SourceFhirServer;
  /** Scripts run after bundling the worker (e.g. writing the FHIR validation definitions). @default none */
  readonly bundlingScripts?: readonly string[];
  /** Messages per worker invocation. @default 1 (a message is one page of work) */
  readonly batchSize?: number;
  /** @default Duration.seconds(0) */
  readonly maxBatchingWindow?: Duration;
  /** Event source mapping MaximumConcurrency, 2-1000 (also limits load on the source server). @default 2 */
  readonly maxConcurrency?: number;
  /** Receives before a page message moves to the backfill DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** @default - a new customer-managed key with rotation */
  readonly encryptionKey?: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  /** @default 'info' */
  readonly logLevel?: ConnectorLogLevel;
  readonly environment?: Record<string, string>;
  /** The worker's description. @default the backfill's */
  readonly description?: string;
  /** Variable naming the work queue in the worker and in senders. @default BACKFILL_QUEUE_URL */
  readonly queueUrlVariable?: string;
  /**
   * Variable naming the DLQ in the worker, which may then send to it (notification reads dead-lettered
   * with their cause). @default - the worker does not write the DLQ
   */
  readonly deadLetterUrlVariable?: string;
  /** Name of the worker's role (a customer role's trust policy may name it). @default - generated */
  readonly roleName?: string;
}

/**
 * A page-work queue with a source-reading worker; also the shape of reconcile (another entry point
 * and queue variable). Historical backfill (`$trigger-subscription`): a page-work queue with its DLQ (KMS, HTTPS only),
 * the worker function on it (ReportBatchItemFailures), and read access to the source server's secret.
 */
export class Backfill extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly worker: ConnectorFunction;
  public readonly eventSource: sources.SqsEventSource;
  private readonly queueUrlVariable: string;

  public constructor(scope: Construct, id: string, props: BackfillProps) {
    super(scope, id);
    this.queueUrlVariable = props.queueUrlVariable ?? ENV.backfillQueueUrl;
    const batchSize = props.batchSize ?? 1;
    const maxConcurrency = props.maxConcurrency ?? 2;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const timeout = props.timeout ?? Duration.minutes(2);
    const problems: string[] = [];
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      problems.push(`maxConcurrency must be 2-1000, got ${maxConcurrency}`);
    }
    if (['bearer', 'basic', 'oauth2'].includes(props.source.auth) && props.source.secret === undefined) {
      problems.push(`source auth "${props.source.auth}" needs a secret`);
    }
    if (problems.length > 0) throw new Error(`Backfill ${id}: ${problems.join('; ')}`);

    const key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts the backfill queues' });
    const common = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
    } as const;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...common,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.worker = new ConnectorFunction(this, 'Worker', {
      entry: props.entry,
      serviceName: props.serviceName,
      description:
        props.description ?? 'Reads backfill pages from the source FHIR server and enqueues deliveries',
      timeout,
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      memorySize: 1024,
      // Source resources are structure-validated as ingest validates them: ship the same definitions.
      ...(props.bundlingScripts === undefined ? {} : { bundlingScripts: props.bundlingScripts }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.logEncryptionKey === undefined ? {} : { logEncryptionKey: props.logEncryptionKey }),
      ...(props.logLevel === undefined ? {} : { logLevel: props.logLevel }),
      environment: { ...props.environment },
    });
    bindSourceServer(this, this.worker, props.source);
    // The worker enqueues the next page of the job it is working on.
    this.bindSender(this.worker);
    if (props.deadLetterUrlVariable !== undefined) {
      this.worker.addEnvironment(props.deadLetterUrlVariable, this.deadLetterQueue.queueUrl);
      this.deadLetterQueue.grantSendMessages(this.worker);
    }

    this.eventSource = new sources.SqsEventSource(this.queue, {
      batchSize,
      maxConcurrency,
      reportBatchItemFailures: true,
      ...(props.maxBatchingWindow === undefined || props.maxBatchingWindow.toSeconds() === 0
        ? {}
        : { maxBatchingWindow: props.maxBatchingWindow }),
    });
    this.worker.addEventSource(this.eventSource);
  }

  /** Lets `fn` enqueue work and names the queue in its environment. */
  public bindSender(fn: lambda.Function): iam.Grant {
    fn.addEnvironment(this.queueUrlVariable, this.queue.queueUrl);
    acknowledgeKmsGrantWildcards(fn.role, `the ${this.node.id} queue`);
    return this.queue.grantSendMessages(fn);
  }
}
