import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DeliveryPayload } from '../messages/deliveryMessage.js';
import { PayloadError } from './errors.js';

/**
 * The resource a message carries: inline, or read from S3 and checked against its size and sha256.
 * Missing or corrupt objects are terminal (`PayloadError`); other S3 errors are transient.
 */
export const loadPayload = async (
  payload: DeliveryPayload,
  s3: Pick<S3Client, 'send'> | undefined,
): Promise<Record<string, unknown>> => {
  if (payload.kind === 'inline') return payload.resource;
  if (!s3) throw new PayloadError('payload-unavailable', 'No S3 client configured for S3 payloads');
  let bytes: Uint8Array;
  try {
    // Loaded on first use, like the deliverer's S3 client (see lazyS3Client).
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const object = await s3.send(new GetObjectCommand({ Bucket: payload.bucket, Key: payload.key }));
    if (!object.Body) throw new PayloadError('payload-missing', 'S3 payload object has no body');
    bytes = await object.Body.transformToByteArray();
  } catch (error) {
    if (error instanceof PayloadError) throw error;
    if ((error as { name?: string }).name === 'NoSuchKey') {
      throw new PayloadError('payload-missing', 'S3 payload object does not exist', { cause: error });
    }
    throw new PayloadError('payload-unavailable', 'S3 payload object could not be read', { cause: error });
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (bytes.byteLength !== payload.bytes || digest !== payload.sha256) {
    throw new PayloadError('payload-corrupt', 'S3 payload object does not match its size and sha256');
  }
  let resource: unknown;
  try {
    resource = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new PayloadError('payload-corrupt', 'S3 payload object is not JSON');
  }
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    throw new PayloadError('payload-corrupt', 'S3 payload object is not a resource');
  }
  return resource as Record<string, unknown>;
};
