import { describe, expect, it } from 'vitest';
import { SourceConfigurationError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import type { SearchPageOptions, SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import type { DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { deliverPayloadSearch } from '../../../shared/delivery/deliverPayloadSearch.js';
import { checkSourceResource } from '../../../shared/ingest/checkSourceResource.js';
import type { HealthLakeApi } from '../../../shared/healthlake/types.js';
import type { DeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const CRITERIA = 'Observation?_id=${matched_resource_id}&_include=Observation:subject';
const STARTED = Date.parse('2026-01-01T00:00:10.000Z');

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  meta: { versionId: '7' },
  subject: { reference: 'Patient/p1' },
};
const patient = { resourceType: 'Patient', id: 'p1', meta: { versionId: '3' } };

/** A source that answers every search with one page, recording the options each page was read with. */
class FakeSource implements SourceReader {
  public readonly pages: SearchPageOptions[] = [];
  public constructor(
    private readonly answer: (options: SearchPageOptions) => readonly FhirResource[] | Error = () => [
      observation,
      patient,
    ],
    private readonly onPage: () => void = () => undefined,
  ) {}
  public resolveSearchUrl(searchUrl: string): string {
    return `http://source.local/fhir/${searchUrl}`;
  }
  public async searchPage(_url: string, options: SearchPageOptions = {}) {
    this.pages.push(options);
    this.onPage();
    const result = this.answer(options);
    if (result instanceof Error) throw result;
    return { resources: result };
  }
  public async read(): Promise<FhirResource | undefined> {
    return undefined;
  }
}

/** A clock the test moves by hand. */
const clock = () => {
  let now = STARTED;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

const message = (subscription: Partial<DeliveryMessage['subscription']> = {}) =>
  deliveryMessage({
    resourceType: 'Observation',
    id: 'o1',
    versionId: '7',
    subscription: { payloadSearchCriteria: CRITERIA, ...subscription },
  });

const deps = (
  source: SourceReader | (() => Promise<SourceReader>),
  fake: HealthLakeApi,
  now: () => number,
): DeliverMessageDeps => ({
  healthLake: () => fake,
  source: async () => ({
    reader: typeof source === 'function' ? await source() : source,
    // The domain's own checks; the structure validator is the deliverer's (hostileSourceResults test).
    check: (value) => checkSourceResource(value, { validate: false }),
  }),
  now,
});

describe('deliverPayloadSearch', () => {
  it('gives the search half of the time left and the Bundle POST what remains of it', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const source = new FakeSource(undefined, () => time.advance(300));
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 1, requestTimeoutMs: 2_000 },
      deps(source, fake, time.now),
    );
    expect(outcome).toEqual({ kind: 'delivered', status: 200, healthLakeLatencyMs: 3 });
    // The page is read before the search deadline (started + 1000) with the time up to it.
    expect(source.pages).toEqual([{ includes: true, timeoutMs: 1_000 }]);
    // The POST gets the whole deadline (started + 2000) minus the 300 ms the search took.
    expect(fake.requestOptions).toEqual([{ timeoutMs: 1_700 }]);
  });

  it('sets no deadline on the search or the POST when the invocation gives no time limit', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const source = new FakeSource(undefined, () => time.advance(60_000));
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 1 },
      deps(source, fake, time.now),
    );
    expect(outcome.kind).toBe('delivered');
    expect(source.pages).toEqual([{ includes: true }]);
    expect(fake.requestOptions).toEqual([undefined]);
  });

  it('is a transient time-limit failure, with nothing sent, when the search used up all the time', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const source = new FakeSource(undefined, () => time.advance(2_000));
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 2, requestTimeoutMs: 2_000 },
      deps(source, fake, time.now),
    );
    expect(outcome).toEqual({
      kind: 'transient-failure',
      cause: { reason: 'time-limit', attempt: 2, at: new Date(STARTED + 2_000).toISOString() },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('still sends when one millisecond is left, with that millisecond as its timeout', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const source = new FakeSource(undefined, () => time.advance(1_999));
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 1, requestTimeoutMs: 2_000 },
      deps(source, fake, time.now),
    );
    expect(outcome.kind).toBe('delivered');
    expect(fake.requestOptions).toEqual([{ timeoutMs: 1 }]);
  });

  it('holds a Bundle to healthLake.maxBundleEntries: more results are dead-lettered, as many are sent', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const limited = { ...deps(new FakeSource(), fake, time.now), maxBundleEntries: 1 };
    const refused = await deliverPayloadSearch(message(), CRITERIA, { attempt: 1 }, limited);
    expect(refused).toMatchObject({
      kind: 'terminal-failure',
      cause: {
        reason: 'payload-search',
        diagnostics: expect.stringContaining(
          'more than 1 resources, the most one HealthLake Bundle holds (healthLake.maxBundleEntries)',
        ),
      },
    });
    expect(fake.calls).toHaveLength(0);
    const sent = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 1 },
      { ...limited, maxBundleEntries: 2 },
    );
    expect(sent.kind).toBe('delivered');
    expect((fake.calls[0]?.body as { entry: unknown[] }).entry).toHaveLength(2);
  });

  it('keeps the version ids of the search results unless the subscription strips them', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    await deliverPayloadSearch(message(), CRITERIA, { attempt: 1 }, deps(new FakeSource(), fake, time.now));
    const entries = (fake.calls[0]?.body as { entry: { resource: { meta?: { versionId?: string } } }[] })
      .entry;
    expect(entries.map((entry) => entry.resource.meta?.versionId)).toEqual(['7', '3']);
  });

  it('reports the status of a transient source failure, and none when the source never answered', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const failing = new FakeSource(() => new TransientSourceError('HTTP 503 from the source', 503));
    expect(
      await deliverPayloadSearch(message(), CRITERIA, { attempt: 3 }, deps(failing, fake, time.now)),
    ).toEqual({
      kind: 'transient-failure',
      cause: {
        reason: 'payload-search',
        attempt: 3,
        at: new Date(STARTED).toISOString(),
        status: 503,
        diagnostics: 'Payload search failed: HTTP 503 from the source',
      },
    });
    const silent = new FakeSource(() => new TransientSourceError('the source timed out'));
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 1 },
      deps(silent, fake, time.now),
    );
    expect(outcome).toMatchObject({ kind: 'transient-failure', cause: { reason: 'payload-search' } });
    expect(outcome.kind === 'transient-failure' && 'status' in outcome.cause).toBe(false);
    expect(fake.calls).toHaveLength(0);
  });

  it('is a terminal replication failure when a search result cannot take the id prefix', async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const outcome = await deliverPayloadSearch(
      message({ replication: { idPrefix: 'x'.repeat(63) } }),
      CRITERIA,
      { attempt: 1 },
      deps(new FakeSource(), fake, time.now),
    );
    expect(outcome).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'replication', attempt: 1, diagnostics: expect.stringContaining('64') },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it("is a transient failure when the source's configuration is unusable, so an operator can fix it", async () => {
    const time = clock();
    const fake = new FakeHealthLake();
    const outcome = await deliverPayloadSearch(
      message(),
      CRITERIA,
      { attempt: 2 },
      deps(
        async () => {
          throw new SourceConfigurationError('The source secret has no clientId');
        },
        fake,
        time.now,
      ),
    );
    expect(outcome).toEqual({
      kind: 'transient-failure',
      cause: {
        reason: 'payload-search',
        attempt: 2,
        at: new Date(STARTED).toISOString(),
        diagnostics: 'The source secret has no clientId',
      },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('rethrows an unexpected error from the source', async () => {
    const time = clock();
    const broken = new Error('bug');
    await expect(
      deliverPayloadSearch(
        message(),
        CRITERIA,
        { attempt: 1 },
        deps(
          async () => {
            throw broken;
          },
          new FakeHealthLake(),
          time.now,
        ),
      ),
    ).rejects.toBe(broken);
  });

  it('refuses a HealthLake client that cannot send transaction Bundles', async () => {
    const time = clock();
    const plain: HealthLakeApi = {
      put: async () => ({ status: 200, latencyMs: 1 }),
      delete: async () => ({ status: 204, latencyMs: 1 }),
    };
    await expect(
      deliverPayloadSearch(message(), CRITERIA, { attempt: 1 }, deps(new FakeSource(), plain, time.now)),
    ).rejects.toThrow('The HealthLake client cannot send transaction Bundles');
  });
});
