import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkSourceCriteria, sourceCriteriaSearch } from '../../../shared/delivery/checkSourceCriteria.js';
import { deliverMessage } from '../../../shared/delivery/deliverMessage.js';
import type { DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { PermanentSourceError, SourceConfigurationError } from '../../../shared/fhirClient/errors.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../fhirClient/fakeHttpServer.js';
import { checkSourceResource } from '../../../shared/ingest/checkSourceResource.js';

const CHAINED = 'Observation?subject.identifier=http://hospital|123';
const OTHER = 'Observation?subject:Patient.name=peter';

/** What the fake source answers each search with: the resources of its searchset, or a status. */
type Answer = { resources: Record<string, unknown>[] } | { status: number };

const message = (sourceCriteria: string[] = [CHAINED]) =>
  deliveryMessage({
    resourceType: 'Observation',
    id: 'o1',
    payload: {
      kind: 'inline',
      resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } },
    },
    subscription: { sourceCriteria },
  });

describe('Function: checkSourceCriteria (criteria the source server evaluates)', () => {
  let server: FakeHttpServer;
  let answers: Answer[] = [];
  let source: FhirClient;

  beforeAll(async () => {
    server = await startFakeHttpServer((_request, _body, response) => {
      const answer = answers.shift() ?? { resources: [] };
      if ('status' in answer) return json(response, answer.status, { resourceType: 'OperationOutcome' });
      return json(response, 200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: answer.resources.map((resource) => ({ resource, search: { mode: 'match' } })),
      });
    });
    source = new FhirClient({
      baseUrl: `${server.url}/fhir`,
      requestsPerSecond: 0,
      retry: { maxAttempts: 1 },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    server.requests.length = 0;
    answers = [];
  });

  const deps = (healthLake = new FakeHealthLake()): DeliverMessageDeps => ({
    healthLake: () => healthLake,
    source: async () => ({ reader: source, check: checkSourceResource }),
    now: Date.now,
  });

  it('searches Type?_id={id}&{criteria} on the source, asking for the id only, and matches when it finds the resource', async () => {
    answers = [{ resources: [{ resourceType: 'Observation', id: 'o1' }] }];
    expect(await checkSourceCriteria(message(), { attempt: 1 }, deps())).toBe('matched');
    const url = new URL(server.requests[0]!.url, server.url);
    expect(url.pathname).toBe('/fhir/Observation');
    expect(url.searchParams.get('_id')).toBe('o1');
    expect(url.searchParams.get('subject.identifier')).toBe('http://hospital|123');
    expect(url.searchParams.get('_elements')).toBe('id');
  });

  it('builds the search with the id encoded and the criteria as written', () => {
    expect(sourceCriteriaSearch(CHAINED, 'a.b-1')).toBe(
      'Observation?_id=a.b-1&subject.identifier=http://hospital|123&_elements=id',
    );
  });

  it('filters the write when no criteria finds it, after trying each', async () => {
    answers = [{ resources: [] }, { resources: [] }];
    expect(await checkSourceCriteria(message([CHAINED, OTHER]), { attempt: 1 }, deps())).toEqual({
      kind: 'filtered',
      by: 'source-criteria',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('matches when the second criteria finds it', async () => {
    answers = [{ resources: [] }, { resources: [{ resourceType: 'Observation', id: 'o1' }] }];
    expect(await checkSourceCriteria(message([CHAINED, OTHER]), { attempt: 1 }, deps())).toBe('matched');
  });

  it('does not count another resource the source returns as a match', async () => {
    answers = [
      {
        resources: [
          { resourceType: 'Observation', id: 'someone-else' },
          { resourceType: 'Patient', id: 'o1' },
        ],
      },
    ];
    expect(await checkSourceCriteria(message(), { attempt: 1 }, deps())).toEqual({
      kind: 'filtered',
      by: 'source-criteria',
    });
  });

  it.each([500, 429, 400, 401])(
    'treats a source answering %i as a transient failure with its cause, never as "no match"',
    async (status) => {
      answers = [{ status }];
      const outcome = await checkSourceCriteria(message(), { attempt: 4 }, deps());
      expect(outcome).toMatchObject({
        kind: 'transient-failure',
        cause: {
          reason: 'source-criteria',
          attempt: 4,
          status,
          diagnostics: expect.stringContaining(
            "The source search deciding the Subscription's criteria failed",
          ),
        },
      });
    },
  );

  it('treats an unreachable source as a transient failure', async () => {
    const down = new FhirClient({ baseUrl: 'http://127.0.0.1:9/fhir', retry: { maxAttempts: 1 } });
    const outcome = await checkSourceCriteria(
      message(),
      { attempt: 1 },
      { ...deps(), source: async () => ({ reader: down, check: checkSourceResource }) },
    );
    expect(outcome).toMatchObject({ kind: 'transient-failure', cause: { reason: 'source-criteria' } });
  });

  it('dead-letters at once when the deliverer has no source at all', async () => {
    const { source: _none, ...withoutSource } = deps();
    expect(await checkSourceCriteria(message(), { attempt: 1 }, withoutSource)).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'source-criteria' },
    });
  });

  it('delivers the message’s own resource when the source says it matches, and nothing when it does not', async () => {
    const healthLake = new FakeHealthLake();
    answers = [{ resources: [{ resourceType: 'Observation', id: 'o1', status: 'amended' }] }];
    expect((await deliverMessage(message(), { attempt: 1 }, deps(healthLake))).kind).toBe('delivered');
    // The source's copy (status amended) decides whether, never what: the message's resource is written.
    expect(healthLake.calls).toEqual([
      expect.objectContaining({
        method: 'PUT',
        id: 'o1',
        body: expect.objectContaining({ status: 'final' }),
      }),
    ]);
    answers = [{ resources: [] }];
    expect(await deliverMessage(message(), { attempt: 1 }, deps(healthLake))).toEqual({
      kind: 'filtered',
      by: 'source-criteria',
    });
    expect(healthLake.calls).toHaveLength(1);
  });

  it('never asks the source about a delete: deletes follow the type, as in memory', async () => {
    const healthLake = new FakeHealthLake();
    const deletion = deliveryMessage({
      operation: 'delete',
      resourceType: 'Observation',
      id: 'o1',
      subscription: { sourceCriteria: [CHAINED] },
    });
    expect((await deliverMessage(deletion, { attempt: 1 }, deps(healthLake))).kind).toBe('deleted');
    expect(server.requests).toHaveLength(0);
  });

  it('gives the HealthLake request what the search left of the time', async () => {
    const healthLake = new FakeHealthLake();
    let now = 1_000_000;
    answers = [{ resources: [{ resourceType: 'Observation', id: 'o1' }] }];
    const clocked = {
      ...deps(healthLake),
      source: async () => {
        now += 700;
        return { reader: source, check: checkSourceResource };
      },
      now: () => now,
    };
    await deliverMessage(message(), { attempt: 1, requestTimeoutMs: 4_000 }, clocked);
    expect(healthLake.requestOptions).toEqual([{ timeoutMs: 3_300 }]);
  });
});

describe('Function: checkSourceCriteria against a scripted source (deadlines and errors)', () => {
  /** A reader whose searches take `tookMs` on the test's clock and answer `answer()`. */
  const scripted = (answer: () => Promise<{ resources: FhirResource[] }>, tookMs = 0) => {
    let now = 1_000_000;
    const searches: { url: string; options: unknown }[] = [];
    const reader = {
      resolveSearchUrl: (url: string) => `https://source.test/fhir/${url}`,
      searchPage: async (url: string, options: unknown) => {
        searches.push({ url, options });
        now += tookMs;
        return answer();
      },
      read: async () => undefined,
    } as unknown as FhirClient;
    const deps: DeliverMessageDeps = {
      healthLake: () => new FakeHealthLake(),
      source: async () => ({ reader, check: checkSourceResource }),
      now: () => now,
    };
    return { deps, searches };
  };
  const none = async () => ({ resources: [] });

  it('gives each search what is left of half the request time, and stops at the time limit', async () => {
    const { deps, searches } = scripted(none, 6_000);
    const outcome = await checkSourceCriteria(
      message([CHAINED, OTHER]),
      { attempt: 2, requestTimeoutMs: 20_000 },
      deps,
    );
    // 10 s for the searches: the first took 6 s, the second gets the 4 s left.
    expect(searches.map((search) => search.options)).toEqual([{ timeoutMs: 10_000 }, { timeoutMs: 4_000 }]);
    expect(outcome).toEqual({ kind: 'filtered', by: 'source-criteria' });
    const late = scripted(none, 10_000);
    expect(
      await checkSourceCriteria(
        message([CHAINED, OTHER]),
        { attempt: 2, requestTimeoutMs: 20_000 },
        late.deps,
      ),
    ).toMatchObject({ kind: 'transient-failure', cause: { reason: 'time-limit', attempt: 2 } });
    expect(late.searches).toHaveLength(1);
  });

  it('sets no timeout without a request time, and searches the resolved URL', async () => {
    const { deps, searches } = scripted(none, 60_000);
    await checkSourceCriteria(message([CHAINED, OTHER]), { attempt: 1 }, deps);
    expect(searches).toEqual([
      { url: `https://source.test/fhir/${sourceCriteriaSearch(CHAINED, 'o1')}`, options: {} },
      { url: `https://source.test/fhir/${sourceCriteriaSearch(OTHER, 'o1')}`, options: {} },
    ]);
  });

  it('filters without a search when the Subscription names no source criteria', async () => {
    const withoutCriteria = deliveryMessage({ resourceType: 'Observation', id: 'o1' });
    const { deps, searches } = scripted(none);
    expect(await checkSourceCriteria(withoutCriteria, { attempt: 1 }, deps)).toEqual({
      kind: 'filtered',
      by: 'source-criteria',
    });
    expect(searches).toEqual([]);
  });

  it('says why there is no source, and names the status of a failed search when there is one', async () => {
    const { deps } = scripted(none);
    const { source: _none, ...withoutSource } = deps;
    expect(await checkSourceCriteria(message(), { attempt: 3 }, withoutSource)).toEqual({
      kind: 'terminal-failure',
      cause: expect.objectContaining({
        reason: 'source-criteria',
        attempt: 3,
        diagnostics:
          "The Subscription's criteria are evaluated on the source FHIR server, and the deliverer has none (SOURCE_FHIR_BASE_URL)",
      }),
    });
    const refused = scripted(async () => {
      throw new PermanentSourceError('HTTP 400 from the source', 400);
    });
    expect(await checkSourceCriteria(message(), { attempt: 1 }, refused.deps)).toMatchObject({
      kind: 'transient-failure',
      cause: {
        status: 400,
        diagnostics:
          "The source search deciding the Subscription's criteria failed: HTTP 400 from the source",
      },
    });
    const unusable = scripted(async () => {
      throw new SourceConfigurationError('the source secret has no token');
    });
    const outcome = await checkSourceCriteria(message(), { attempt: 1 }, unusable.deps);
    expect(outcome).toMatchObject({ kind: 'transient-failure', cause: { reason: 'source-criteria' } });
    expect((outcome as { cause: object }).cause).not.toHaveProperty('status');
  });

  it('lets an error that is no source error through', async () => {
    const { deps } = scripted(async () => {
      throw new TypeError('a bug');
    });
    await expect(checkSourceCriteria(message(), { attempt: 1 }, deps)).rejects.toThrow('a bug');
  });
});
