import { createHash } from 'node:crypto';
// zod/mini: the same validation as `zod` at a tenth of the bundle size (the deliverer's cold start).
import * as z from 'zod/mini';
import { FHIR_ID_PATTERN, RESOURCE_TYPE_PATTERN, resourceKey } from '../fhir/ids.js';
import {
  MAX_SOURCE_EVALUATED_SUBSCRIPTIONS,
  MAX_SOURCE_QUERY_LENGTH,
} from '../criteria/sourceQueryLimits.js';
import { MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH } from '../payloadSearch/constants.js';
import { TRANSFORM_NAME_PATTERN } from '../subscriptions/transforms.js';
import { replicationTargetKey } from '../replication/replicationTargetKey.js';

/**
 * The one message format between producers (ingest, backfill) and the deliverer.
 * Versioned by `schema`; a consumer rejects (terminally) a message it cannot validate.
 * It carries everything delivery needs, so the deliverer never reads the Subscription.
 */
export const DELIVERY_MESSAGE_SCHEMA = 'healthlake-connector/delivery/v1' as const;

const fhirId = z.string().check(z.regex(FHIR_ID_PATTERN, 'not a FHIR id'));
/** `Type?query` of criteria the source evaluates: an R4-style type name, then a bounded query without `#`. */
const SOURCE_CRITERIA = new RegExp(`^[A-Z][A-Za-z]{1,63}\\?[^#]{1,${MAX_SOURCE_QUERY_LENGTH}}$`);
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

export const InlinePayload = z.object({
  kind: z.literal('inline'),
  /** The resource JSON as it is to be sent (before strip-version-ids). */
  resource: z.record(z.string(), z.unknown()),
});

export const S3Payload = z.object({
  kind: z.literal('s3'),
  bucket: text(3, 63),
  key: text(1, 1024),
  /** Size in bytes and sha256 (hex) of the stored JSON, checked on read. */
  bytes: z.int().check(z.positive()),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});

export const DeliveryMessage = z
  .object({
    schema: z.literal(DELIVERY_MESSAGE_SCHEMA),
    operation: z.enum(['upsert', 'delete']),
    resourceType: z.string().check(z.regex(RESOURCE_TYPE_PATTERN, 'not a resource type')),
    id: fhirId,
    versionId: text(1, 64),
    lastUpdated: z.iso.datetime({ offset: true }),
    subscription: z.object({
      id: fhirId,
      /** HealthLake data store base, `https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/`. */
      endpoint: z.url(),
      stripVersionIds: z.boolean(),
      deliverLatestVersion: z.boolean(),
      /** Attempts before the message is dead-lettered (the subscription's delivery-retry-count + 1). */
      maxAttempts: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
      /** Smile CDR replication settings the deliverer applies to the id and references (optional). */
      replication: z.optional(
        z.object({
          idPrefix: z.optional(z.string().check(z.minLength(1), z.maxLength(63))),
          idPrefixSelector: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
          stripIdPrefix: z.optional(z.string().check(z.minLength(1), z.maxLength(63))),
          stripReferenceBaseUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
        }),
      ),
      /**
       * HAPI subscription-payload-search-criteria: the deliverer runs this search on the source server
       * and writes its results as one transaction Bundle instead of the payload (optional).
       */
      payloadSearchCriteria: z.optional(text(1, MAX_PAYLOAD_SEARCH_CRITERIA_LENGTH)),
      /**
       * Criteria (`Type?query`) the source server evaluates: the deliverer delivers an upsert only if a
       * search `Type?_id={id}&{query}` there finds it for one of them (optional).
       */
      /** The connector's subscription-transform: the deliverer writes what this transform returns (optional). */
      transform: z.optional(z.string().check(z.regex(TRANSFORM_NAME_PATTERN, 'not a transform name'))),
      sourceCriteria: z.optional(
        z
          .array(z.string().check(z.regex(SOURCE_CRITERIA, 'not Type?query')))
          .check(z.minLength(1), z.maxLength(MAX_SOURCE_EVALUATED_SUBSCRIPTIONS)),
      ),
    }),
    trace: z.object({
      /** When the write (or backfill read) entered the connector. */
      ingestedAt: z.iso.datetime({ offset: true }),
      requestId: text(1, 256),
      source: z.enum(['ingest', 'backfill', 'reconcile']),
      jobId: z.optional(text(0, 128)),
    }),
    payload: z.optional(z.discriminatedUnion('kind', [InlinePayload, S3Payload])),
  })
  .check(
    z.superRefine((message, context) => {
      if (message.operation === 'upsert' && !message.payload) {
        context.addIssue({ code: 'custom', path: ['payload'], message: 'an upsert must carry its resource' });
      }
      if (message.operation === 'delete' && message.payload) {
        context.addIssue({ code: 'custom', path: ['payload'], message: 'a delete carries no resource' });
      }
    }),
  );

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
 * `DeliveryMessage` compiled by zod (`z.compile`: generated code for the valid case, zod's own parser
 * for the rest, so errors read the same), built on the first parse rather than at import, where it
 * would add its few milliseconds to every cold start.
 */
let compiledDeliveryMessage: typeof DeliveryMessage | undefined;

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
  compiledDeliveryMessage ??= z.compile(DeliveryMessage);
  const result = compiledDeliveryMessage.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidDeliveryMessageError(problems.join('; '));
  }
  return result.data;
};

/**
 * FIFO message group: one per resource and data store, so versions of a resource stay in order for each
 * data store, and a data store that fails never holds back another's messages (`Type/id@` and a short
 * hash of the endpoint: at most 118 of SQS's 128 characters).
 */
export const messageGroupId = (
  message: Pick<DeliveryMessage, 'resourceType' | 'id'> & {
    readonly subscription: Pick<DeliveryMessage['subscription'], 'endpoint'>;
  },
): string =>
  `${resourceKey(message.resourceType, message.id)}@${createHash('sha256').update(message.subscription.endpoint).digest('hex').slice(0, 12)}`;

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
      `${replicationTargetKey(message.subscription.endpoint, message.subscription.replication, message.subscription.payloadSearchCriteria, message.subscription.transform)}\n${message.resourceType}/${message.id}\n${message.versionId}\n${message.operation}` +
        (message.trace?.source === 'reconcile' ? `\nreconcile:${message.trace.jobId ?? ''}` : ''),
    )
    .digest('hex');
