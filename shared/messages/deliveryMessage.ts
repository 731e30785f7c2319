import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FHIR_ID_PATTERN, RESOURCE_TYPE_PATTERN, resourceKey } from '../fhir/ids.js';

/**
 * The one message format between producers (ingest, backfill) and the deliverer.
 * Versioned by `schema`; a consumer rejects (terminally) a message it cannot validate.
 * It carries everything delivery needs, so the deliverer never reads the Subscription.
 */
export const DELIVERY_MESSAGE_SCHEMA = 'healthlake-connector/delivery/v1' as const;

const fhirId = z.string().regex(FHIR_ID_PATTERN, 'not a FHIR id');

export const InlinePayload = z.object({
  kind: z.literal('inline'),
  /** The resource JSON as it is to be sent (before strip-version-ids). */
  resource: z.record(z.string(), z.unknown()),
});

export const S3Payload = z.object({
  kind: z.literal('s3'),
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
  /** Size in bytes and sha256 (hex) of the stored JSON, checked on read. */
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const DeliveryMessage = z
  .object({
    schema: z.literal(DELIVERY_MESSAGE_SCHEMA),
    operation: z.enum(['upsert', 'delete']),
    resourceType: z.string().regex(RESOURCE_TYPE_PATTERN, 'not a resource type'),
    id: fhirId,
    versionId: z.string().min(1).max(64),
    lastUpdated: z.iso.datetime({ offset: true }),
    subscription: z.object({
      id: fhirId,
      /** HealthLake data store base, `https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/`. */
      endpoint: z.url(),
      stripVersionIds: z.boolean(),
      deliverLatestVersion: z.boolean(),
      /** Attempts before the message is dead-lettered (the subscription's delivery-retry-count + 1). */
      maxAttempts: z.number().int().min(1).max(1000).optional(),
    }),
    trace: z.object({
      /** When the write (or backfill read) entered the connector. */
      ingestedAt: z.iso.datetime({ offset: true }),
      requestId: z.string().min(1).max(256),
      source: z.enum(['ingest', 'backfill', 'reconcile']),
      jobId: z.string().max(128).optional(),
    }),
    payload: z.discriminatedUnion('kind', [InlinePayload, S3Payload]).optional(),
  })
  .superRefine((message, context) => {
    if (message.operation === 'upsert' && !message.payload) {
      context.addIssue({ code: 'custom', path: ['payload'], message: 'an upsert must carry its resource' });
    }
    if (message.operation === 'delete' && message.payload) {
      context.addIssue({ code: 'custom', path: ['payload'], message: 'a delete carries no resource' });
    }
  });

export type DeliveryMessage = z.infer<typeof DeliveryMessage>;
export type DeliveryPayload = NonNullable<DeliveryMessage['payload']>;

/** Thrown for a message body that is not a valid delivery message. Terminal: retrying cannot help. */
export class InvalidDeliveryMessageError extends Error {
  public constructor(public readonly problems: string) {
    super(`Invalid delivery message: ${problems}`);
    this.name = 'InvalidDeliveryMessageError';
  }
}

/**
 * Parses and validates an SQS message body. The error names the failing paths, never values
 * (a body may hold PHI).
 */
export const parseDeliveryMessage = (body: string): DeliveryMessage => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidDeliveryMessageError('body is not JSON');
  }
  const result = DeliveryMessage.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidDeliveryMessageError(problems.join('; '));
  }
  return result.data;
};

/** FIFO message group: one per resource, so versions of a resource stay in order. */
export const messageGroupId = (message: Pick<DeliveryMessage, 'resourceType' | 'id'>): string =>
  resourceKey(message.resourceType, message.id);

/**
 * FIFO deduplication id: the same (subscription endpoint, resource, version, operation) is one message,
 * however often a producer retries within SQS's 5-minute window. A reconcile repair re-sends a version
 * HealthLake lost, so its id also names the job: one repair per job, never swallowed as a duplicate
 * of the original delivery.
 */
export const deduplicationId = (
  message: Pick<DeliveryMessage, 'subscription' | 'resourceType' | 'id' | 'versionId' | 'operation'> & {
    readonly trace?: Pick<DeliveryMessage['trace'], 'source' | 'jobId'>;
  },
): string =>
  createHash('sha256')
    .update(
      `${message.subscription.endpoint}\n${message.resourceType}/${message.id}\n${message.versionId}\n${message.operation}` +
        (message.trace?.source === 'reconcile' ? `\nreconcile:${message.trace.jobId ?? ''}` : ''),
    )
    .digest('hex');
