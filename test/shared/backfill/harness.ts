/**
 * Test harness for the backfill: the real WritePipeline (DefaultWritePipeline + InMemoryVersionLedger)
 * feeding a fake HealthLake that applies the deliverer's latest-version rule, an in-memory job store
 * and work queue, and a `drain` loop that behaves like SQS (a message that throws is redelivered).
 */
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { createWorkProcessor } from '../../../shared/backfill/createWorkProcessor.js';
import type { BackfillWorkerDeps, WorkOutcome } from '../../../shared/backfill/createWorkProcessor.js';
import type { SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import type { SubscriptionLookup, WorkMessage } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { resourceKey } from '../../../shared/fhir/ids.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { IncomingWrite, WritePipeline, WriteResult } from '../../../shared/ingest/types.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import type { ActiveSubscription } from '../../../shared/subscriptions/types.js';
import { compareVersions } from '../../../shared/versions/compareVersions.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';

export const ENDPOINT = 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/';

export const activeSubscription = (id: string, criteria: string): ActiveSubscription => ({
  id,
  criteria,
  endpoint: ENDPOINT,
  sendDeleteMessages: true,
  deliverLatestVersion: true,
  stripVersionIds: false,
});

/** Subscriptions by id with a status; `active` is derived for status `active`. */
export const fakeSubscriptions = (
  entries: Record<string, { status: string; criteria?: string }>,
): SubscriptionLookup => ({
  getSubscription: async (id) => {
    const entry = entries[id];
    if (!entry) return undefined;
    return entry.status === 'active'
      ? { status: 'active', active: activeSubscription(id, entry.criteria ?? '[*]') }
      : { status: entry.status };
  },
});

/** What the deliverer would leave in HealthLake: the latest version of each resource, and every PUT. */
export class FakeHealthLake {
  public readonly current = new Map<string, { versionId: string; lastUpdated: string }>();
  public readonly puts: string[] = [];
  public apply(message: DeliveryMessage): void {
    const key = resourceKey(message.resourceType, message.id);
    const existing = this.current.get(key);
    if (existing && compareVersions(existing, message) >= 0 && existing.versionId !== message.versionId)
      return;
    if (existing?.versionId !== message.versionId) this.puts.push(`${key}@${message.versionId}`);
    this.current.set(key, { versionId: message.versionId, lastUpdated: message.lastUpdated });
  }
}

/** The real write pipeline over an in-memory ledger, delivering straight into a FakeHealthLake. */
export const createPipeline = (subscriptions: readonly ActiveSubscription[]) => {
  const healthLake = new FakeHealthLake();
  const ledger = new InMemoryVersionLedger();
  const compiled = subscriptions.map((subscription) => ({
    subscription,
    criteria: compileCriteria(subscription.criteria),
  }));
  const messages: DeliveryMessage[] = [];
  const pipeline = new DefaultWritePipeline({
    ledger,
    matcher: {
      match: (resource) =>
        compiled.filter(({ criteria }) => criteria.matches(resource)).map(({ subscription }) => subscription),
    },
    queue: {
      enqueue: async (batch) => {
        messages.push(...batch);
        for (const message of batch) healthLake.apply(message);
      },
    },
  });
  return { pipeline, healthLake, ledger, messages };
};

/** Wraps a pipeline so that its next `accept` records only the first `n` writes and then throws (a crash mid-page). */
export class CrashingPipeline implements WritePipeline {
  public crashAfter: number | undefined;
  public crashes = 0;
  public constructor(private readonly inner: WritePipeline) {}
  public async accept(writes: readonly IncomingWrite[]): Promise<WriteResult[]> {
    if (this.crashAfter !== undefined) {
      const n = this.crashAfter;
      this.crashAfter = undefined;
      this.crashes += 1;
      await this.inner.accept(writes.slice(0, n));
      throw new Error('Simulated Lambda timeout mid-page');
    }
    return this.inner.accept(writes);
  }
}

export interface Harness {
  readonly jobs: InMemoryJobStore;
  readonly queue: InMemoryWorkQueue;
  readonly process: (message: WorkMessage) => Promise<WorkOutcome>;
  /** Processes queued messages until none is left, redelivering the ones that throw (at most `maxReceives`). */
  drain(options?: {
    maxReceives?: number;
    beforeEach?: (message: WorkMessage) => Promise<void> | void;
  }): Promise<{
    processed: number;
    redelivered: number;
    outcomes: WorkOutcome[];
  }>;
}

export const createHarness = (
  deps: Omit<BackfillWorkerDeps, 'jobs' | 'queue'> & { jobs?: InMemoryJobStore; queue?: InMemoryWorkQueue },
): Harness => {
  const jobs = deps.jobs ?? new InMemoryJobStore();
  const queue = deps.queue ?? new InMemoryWorkQueue();
  const process = createWorkProcessor({ ...deps, jobs, queue });
  return {
    jobs,
    queue,
    process,
    drain: async (options = {}) => {
      const receives = new Map<WorkMessage, number>();
      const outcomes: WorkOutcome[] = [];
      let processed = 0;
      let redelivered = 0;
      for (let message = queue.messages.shift(); message; message = queue.messages.shift()) {
        await options.beforeEach?.(message);
        const count = (receives.get(message) ?? 0) + 1;
        receives.set(message, count);
        try {
          outcomes.push(await process(message, { receiveCount: count }));
          processed += 1;
        } catch (error) {
          if (count >= (options.maxReceives ?? 5)) throw error;
          redelivered += 1;
          queue.messages.push(message);
        }
      }
      return { processed, redelivered, outcomes };
    },
  };
};

/** Small, valid synthetic resources. */
export const patient = (id: string, family = 'Doe') => ({
  resourceType: 'Patient' as const,
  id,
  name: [{ family, given: ['Test'] }],
  gender: 'unknown' as const,
});

export const observation = (id: string, code: string, subject: string) => ({
  resourceType: 'Observation' as const,
  id,
  status: 'final' as const,
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: subject },
});

/** A SourceReader over a fixed list (pages of `size`), for tests that need no HTTP. */
export const listSource = (
  list: readonly { resourceType: string; id?: string }[],
  size: number,
): SourceReader => {
  const resources = list as readonly FhirResource[];
  return {
    resolveSearchUrl: (url: string) => `http://source.test/fhir/${url}&_page=0`,
    searchPage: async (url) => {
      const page = Number(/_page=(\d+)/.exec(url)?.[1] ?? 0);
      const slice = resources.slice(page * size, page * size + size);
      const more = (page + 1) * size < resources.length;
      return {
        resources: slice,
        ...(more ? { nextUrl: url.replace(/_page=\d+/, `_page=${page + 1}`) } : {}),
      };
    },
    read: async (type, id) => resources.find((r) => r.resourceType === type && r.id === id),
  };
};
