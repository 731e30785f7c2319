import type { FhirResource } from '../../shared/fhir/types.js';
import type { FhirRequest } from '../../shared/http/types.js';
import type { IngestRouterContext } from '../../shared/ingest/routes/IngestRouterContext.js';
import type { IncomingWrite, WriteResult } from '../../shared/ingest/types.js';
import type { DeliveryQueue } from '../../shared/ingest/SqsDeliveryQueue.js';
import type { SubscriptionMatcher } from '../../shared/ingest/SubscriptionMatcher.js';
import type { DeliveryMessage } from '../../shared/messages/deliveryMessage.js';
import type { ActiveSubscription } from '../../shared/subscriptions/types.js';

export const ENDPOINT_A = 'https://healthlake.us-east-1.amazonaws.com/datastore/aaaa/r4/';
export const ENDPOINT_B = 'https://healthlake.us-east-1.amazonaws.com/datastore/bbbb/r4/';

/** An active subscription with HAPI's defaults, overridable. */
export const activeSubscription = (overrides: Partial<ActiveSubscription> = {}): ActiveSubscription => ({
  id: 'sub-1',
  criteria: '[*]',
  endpoint: ENDPOINT_A,
  sendDeleteMessages: true,
  deliverLatestVersion: true,
  stripVersionIds: false,
  ...overrides,
});

/** A matcher that matches every write against a fixed list (by type when `types` is given). */
export class FakeMatcher implements SubscriptionMatcher {
  public readonly calls: Array<{ resource: FhirResource; operation: 'upsert' | 'delete' }> = [];
  public constructor(
    public subscriptions: readonly ActiveSubscription[] = [activeSubscription()],
    private readonly types?: ReadonlySet<string>,
  ) {}

  public match(resource: FhirResource, operation: 'upsert' | 'delete') {
    this.calls.push({ resource, operation });
    if (this.types && !this.types.has(resource.resourceType)) return [];
    return this.subscriptions;
  }
}

/** A queue that keeps what it was given (or fails when told to). */
export class RecordingQueue implements DeliveryQueue {
  public readonly messages: DeliveryMessage[] = [];
  public failWith: Error | undefined;

  public async enqueue(messages: readonly DeliveryMessage[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.messages.push(...messages);
  }
}

export const patient = (overrides: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Patient',
  id: 'p1',
  active: true,
  gender: 'female',
  birthDate: '1970-01-01',
  name: [{ family: 'Example', given: ['Test'] }],
  ...overrides,
});

export const observation = (overrides: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...overrides,
});

/** A transaction Bundle of POST entries with urn:uuid full URLs, as Synthea writes them. */
export const syntheaLikeTransaction = (observations = 2): FhirResource => {
  const patientUrn = 'urn:uuid:4f9bc1a2-0000-4000-8000-000000000001';
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: patientUrn,
        resource: patient({ id: undefined }),
        request: { method: 'POST', url: 'Patient' },
      },
      ...Array.from({ length: observations }, (_, index) => ({
        fullUrl: `urn:uuid:4f9bc1a2-0000-4000-8000-${String(index + 2).padStart(12, '0')}`,
        resource: observation({
          subject: { reference: patientUrn },
          extension: [{ url: 'http://example.org/fhir/ext', valueReference: { reference: patientUrn } }],
        }),
        request: { method: 'POST', url: 'Observation' },
      })),
    ],
  };
};

/** A FhirRequest with defaults, for router tests. */
export const fhirRequest = (
  overrides: Partial<FhirRequest> & Pick<FhirRequest, 'method' | 'path'>,
): FhirRequest => ({
  query: {},
  headers: { 'content-type': 'application/fhir+json' },
  requestId: 'req-1',
  baseUrl: 'https://ingest.example.org/fhir',
  caller: ADMIN_CALLER,
  ...overrides,
});

/** Authenticated callers as the ingest HTTP layer sets them. */
export const ADMIN_CALLER = { principal: 'token:ops', scope: 'admin' } as const;
export const WRITE_CALLER = { principal: 'token:producer', scope: 'write' } as const;

/** What the pipeline answers for a write it recorded as version 1 at `at`, matched by one Subscription. */
export const recordedResult = (write: IncomingWrite, at: Date): WriteResult => ({
  status: 'recorded',
  versionId: '1',
  lastUpdated: at.toISOString(),
  ...(write.resource
    ? { resource: { ...write.resource, meta: { versionId: '1', lastUpdated: at.toISOString() } } }
    : {}),
  matched: 1,
  enqueued: 1,
});

/**
 * The context the ingest route functions run in, with a pipeline that keeps the writes it is given
 * and answers each with `result` (default `recordedResult`), or with no result at all when `lost`.
 */
export const fakeRouterContext = (
  options: {
    now?: Date;
    maxBundleEntries?: number;
    validateResources?: boolean;
    result?: (write: IncomingWrite) => WriteResult;
    lost?: boolean;
  } = {},
) => {
  const now = options.now ?? new Date('2025-03-01T12:00:00.000Z');
  const writes: IncomingWrite[] = [];
  const observed = { rejected: 0, accepts: 0 };
  const context: IngestRouterContext = {
    limits: {
      maxBundleEntries: options.maxBundleEntries ?? 1000,
      validateResources: options.validateResources ?? true,
      maxClockSkewSeconds: 300,
      repeatedStaleWrites: 3,
    },
    observe: { rejected: () => (observed.rejected += 1), written: () => undefined },
    now: () => now,
    accept: async (_request, batch) => {
      observed.accepts += 1;
      writes.push(...batch);
      if (options.lost) return [];
      return batch.map((write) => options.result?.(write) ?? recordedResult(write, now));
    },
  };
  return { context, writes, observed };
};
