import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Outcome } from './types.js';

/** One line of a job's id list: an outcome of one resource. Ids only, never content. */
export interface IdListLine {
  readonly outcome: Outcome;
  readonly resourceType: string;
  readonly id: string;
}

/** `s3://{bucket}/reconcile/{jobId}/`: where a job's id lists are written. */
export const idListLocation = (bucket: string, jobId: string): string => `s3://${bucket}/reconcile/${jobId}/`;

/** Where the full id lists of a job go: one object per page, so a redone page overwrites its own. */
export interface IdListSink {
  /** `s3://bucket/prefix/` of a job, for the report. */
  location(jobId: string): string;
  write(jobId: string, stream: number, page: number, lines: readonly IdListLine[]): Promise<void>;
}

/**
 * Id lists as NDJSON in the payload bucket under `reconcile/{jobId}/`, encrypted with KMS (the
 * payload key when given, else the bucket's default key).
 *
 * @example
 * const sink = new S3IdListSink({ s3, bucket, kmsKeyId });
 */
export class S3IdListSink implements IdListSink {
  public constructor(
    private readonly options: { s3: Pick<S3Client, 'send'>; bucket: string; kmsKeyId?: string },
  ) {}

  public location(jobId: string): string {
    return idListLocation(this.options.bucket, jobId);
  }

  public async write(
    jobId: string,
    stream: number,
    page: number,
    lines: readonly IdListLine[],
  ): Promise<void> {
    if (lines.length === 0) return;
    await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: `reconcile/${jobId}/${stream}-${page}.ndjson`,
        Body: lines.map((line) => JSON.stringify(line)).join('\n') + '\n',
        ContentType: 'application/x-ndjson',
        ServerSideEncryption: 'aws:kms',
        ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
      }),
    );
  }
}
