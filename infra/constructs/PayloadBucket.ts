import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import { INGEST_ENV } from '../../shared/ingest/constants.js';

export interface PayloadBucketProps {
  /**
   * Key encrypting payload objects.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long a payload object lives. It must outlast its message: up to 14 days in the delivery queue
   * plus up to 14 in the FIFO DLQ (moving a FIFO message to its DLQ restarts its retention clock).
   * @default Duration.days(30)
   */
  readonly expiration?: Duration;
  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;
}

/**
 * S3 bucket for resource payloads too large for an SQS message (1 MiB): KMS-encrypted, TLS only, no
 * public access, versioned, objects expire, server access logs to a separate bucket.
 */
export class PayloadBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  public readonly encryptionKey: kms.IKey;

  public constructor(scope: Construct, id: string, props: PayloadBucketProps = {}) {
    super(scope, id);
    // Grant log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL (so the
    // log bucket can keep ACLs disabled). Set on this construct only, before its buckets exist.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const expiration = props.expiration ?? Duration.days(30);
    if (expiration.toDays() < 1) throw new Error(`PayloadBucket ${id}: expiration must be at least 1 day`);
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts large delivery payloads' });

    // Server access logging does not support SSE-KMS targets: the log bucket uses SSE-S3.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          expiration: props.accessLogExpiration ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'payloads/',
      lifecycleRules: [
        {
          expiration,
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // Expiry leaves delete markers behind (the bucket is versioned); clear them once alone.
        { expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const bucket of [this.bucket, this.accessLogBucket]) {
      Validations.of(bucket).acknowledge({
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason:
          bucket === this.bucket
            ? 'Payload objects are transient copies (they expire with the delivery queue); the system of record and HealthLake hold the data, so a replica would only add a second PHI copy.'
            : 'Server access logs are an audit aid for a transient payload bucket; cross-region replication is left to organisations whose log-archive policy requires it.',
      });
    }
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'HIPAA.Security-S3DefaultEncryptionKMS',
      reason:
        'S3 server access logging only delivers to buckets encrypted with SSE-S3, not SSE-KMS; the logs hold request metadata, not payloads.',
    });
  }

  /** Object keys are per message, so grants name the bucket's objects (`arn/*`), never other buckets. */
  private acknowledgeObjectWildcard(fn: lambda.Function): void {
    if (fn.role === undefined) return;
    const logicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
      reason:
        'Payload object keys are created per message, so the grant covers the objects of this one bucket (its ARN + /*), with explicit actions only.',
    });
  }

  /** Lets `fn` write payloads and names the bucket and its key in its environment. */
  public bindWriter(fn: lambda.Function): iam.Grant {
    fn.addEnvironment(ENV.payloadBucket, this.bucket.bucketName);
    // Writers name the key explicitly: `aws:kms` without a key id would use the aws/s3 key instead.
    fn.addEnvironment(INGEST_ENV.payloadKmsKeyId, this.encryptionKey.keyArn);
    this.acknowledgeObjectWildcard(fn);
    this.encryptionKey.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
    return iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects('*')],
    });
  }

  /**
   * Lets `fn` read payloads (lifecycle expiry deletes them). No environment: readers take the bucket
   * from each message's payload reference.
   */
  public bindReader(fn: lambda.Function): iam.Grant {
    this.acknowledgeObjectWildcard(fn);
    this.encryptionKey.grant(fn, 'kms:Decrypt');
    return iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects('*')],
    });
  }
}
