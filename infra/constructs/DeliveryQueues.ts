import { Duration } from 'aws-cdk-lib';
import { acknowledgeKmsGrantWildcards } from './acknowledgeKmsGrantWildcards.js';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, SQS_MAX_MESSAGE_BYTES } from '../../shared/config/constants.js';

export interface DeliveryQueuesProps {
  /** Receives before a message moves to the DLQ (the redrive policy's maxReceiveCount), 1-1000. */
  readonly maxReceiveCount: number;
  /** The deliverer's timeout; the visibility timeout is six times it, as AWS advises for Lambda. */
  readonly consumerTimeout: Duration;
  /**
   * Key encrypting both queues.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long messages stay in either queue.
   * @default Duration.days(14) (SQS's maximum, so a long HealthLake outage loses nothing)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * The FIFO delivery queue (ordered per `Type/id` message group) and its FIFO dead-letter queue:
 * KMS-encrypted with a customer-managed key, HTTPS-only, high-throughput FIFO mode, 1 MiB messages.
 */
export class DeliveryQueues extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly encryptionKey: kms.IKey;

  public constructor(scope: Construct, id: string, props: DeliveryQueuesProps) {
    super(scope, id);
    const problems: string[] = [];
    if (
      !Number.isInteger(props.maxReceiveCount) ||
      props.maxReceiveCount < 1 ||
      props.maxReceiveCount > 1000
    ) {
      problems.push(`maxReceiveCount must be a whole number in 1-1000, got ${props.maxReceiveCount}`);
    }
    const visibilityTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * 6);
    if (visibilityTimeout.toSeconds() > 43_200) {
      problems.push(
        'consumerTimeout must be at most 2 hours (visibility timeout is 6x it, SQS allows 12 hours)',
      );
    }
    if (problems.length > 0) throw new Error(`DeliveryQueues ${id}: ${problems.join('; ')}`);

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts the delivery queues' });
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    const common = {
      fifo: true,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      // Pinned, not left to SQS's default: the inline threshold (shared/delivery/deadLetter.ts) leaves
      // room for the dead-letter cause within exactly this size, on both queues.
      maxMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
    } as const;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...common,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      retentionPeriod,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /** Lets `fn` send delivery messages and names the queue in its environment. */
  public bindSender(fn: lambda.Function): iam.Grant {
    fn.addEnvironment(ENV.deliveryQueueUrl, this.queue.queueUrl);
    acknowledgeKmsGrantWildcards(fn.role, 'the delivery queue');
    return this.queue.grantSendMessages(fn);
  }

  /**
   * Lets `fn` move a message to the DLQ itself (with its failure cause) and names the DLQ in its
   * environment.
   */
  public bindDeadLetterSender(fn: lambda.Function): iam.Grant {
    fn.addEnvironment(ENV.deliveryDlqUrl, this.deadLetterQueue.queueUrl);
    acknowledgeKmsGrantWildcards(fn.role, 'the delivery dead-letter queue');
    return this.deadLetterQueue.grantSendMessages(fn);
  }
}
