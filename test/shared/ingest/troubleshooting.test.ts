import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { handleExplainSubscriptions } from '../../../shared/ingest/routes/handleExplainSubscriptions.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { fhirRequest, RecordingQueue, WRITE_CALLER } from '../../helpers/ingestFakes.js';
import { ALLOWED_ENDPOINTS, makeSubscription } from '../../helpers/subscriptions.js';

const SECRET_CODE = 'SECRET-CODE-1234';

/** Four active Subscriptions: two on Observations (one matching), one on Patients, one chained. */
const seeded = async () => {
  const store = new InMemorySubscriptionStore();
  const save = (id: string, criteria: string, extension: { url: string; valueBoolean: boolean }[] = []) =>
    store.save({ ...makeSubscription({ criteria }, { extension }), id, status: 'active' });
  await save('a-final', 'Observation?status=final');
  await save('b-code', `Observation?status=final&code=http://loinc.org|${SECRET_CODE}`);
  await save('c-patients', '[Patient]', [
    { url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: true },
  ]);
  await save('d-chained', 'Observation?subject:Patient.name=peter');
  const cache = new ActiveSubscriptionCache({
    store,
    allowedEndpoints: ALLOWED_ENDPOINTS,
    sourceEvaluation: true,
  });
  return { store, cache };
};

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' },
};

/** A logger at a given level that keeps what it was given. */
const recordingLogger = (level: string) => {
  const lines: { message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    getLevelName: () => level,
    debug: (message: string, attributes: Record<string, unknown>) => lines.push({ message, attributes }),
  };
};

describe('The Subscription troubleshooting log (debug)', () => {
  it('logs per write the matched Subscriptions and, for each other candidate of the type, the first parameter it failed', async () => {
    const { cache } = await seeded();
    const log = recordingLogger('DEBUG');
    const pipeline = new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: cache,
      queue: new RecordingQueue(),
      troubleshooting: log,
    });
    await pipeline.accept([
      {
        operation: 'upsert',
        resourceType: 'Observation',
        id: 'o1',
        resource: observation,
        source: 'ingest',
        requestId: 'r1',
      },
    ]);
    expect(log.lines).toEqual([
      {
        message: 'Subscriptions evaluated',
        attributes: {
          resourceType: 'Observation',
          id: 'o1',
          operation: 'upsert',
          source: 'ingest',
          requestId: 'r1',
          matched: ['a-final', 'd-chained'],
          notMatched: [{ subscriptionId: 'b-code', failed: 'code' }],
          decidedBySource: [{ subscriptionId: 'd-chained', parameters: ['subject:Patient.name'] }],
        },
      },
    ]);
    // Parameter names only: never a value of the resource or of the criteria.
    expect(JSON.stringify(log.lines)).not.toContain(SECRET_CODE);
    expect(JSON.stringify(log.lines)).not.toContain('8867-4');
  });

  it('says why a delete goes nowhere: the candidate does not send deletes', async () => {
    const { cache } = await seeded();
    const log = recordingLogger('DEBUG');
    const pipeline = new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: cache,
      queue: new RecordingQueue(),
      troubleshooting: log,
    });
    await pipeline.accept([
      { operation: 'delete', resourceType: 'Patient', id: 'p1', source: 'ingest', requestId: 'r2' },
    ]);
    expect(log.lines[0]?.attributes).toMatchObject({ matched: ['c-patients'], notMatched: [] });
    const observationLog = recordingLogger('DEBUG');
    await new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: cache,
      queue: new RecordingQueue(),
      troubleshooting: observationLog,
    }).accept([
      { operation: 'delete', resourceType: 'Observation', id: 'o1', source: 'ingest', requestId: 'r3' },
    ]);
    expect(observationLog.lines[0]?.attributes).toMatchObject({
      notMatched: [
        { subscriptionId: 'a-final', failed: 'subscription-send-delete-messages' },
        { subscriptionId: 'b-code', failed: 'subscription-send-delete-messages' },
        { subscriptionId: 'd-chained', failed: 'subscription-send-delete-messages' },
      ],
    });
  });

  it('works nothing out and logs nothing above debug', async () => {
    const { cache } = await seeded();
    const log = recordingLogger('INFO');
    let explained = 0;
    const counting = Object.assign(Object.create(cache) as ActiveSubscriptionCache, {
      explain: async (...args: Parameters<ActiveSubscriptionCache['explain']>) => {
        explained += 1;
        return cache.explain(...args);
      },
    });
    await new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: counting,
      queue: new RecordingQueue(),
      troubleshooting: log,
    }).accept([
      {
        operation: 'upsert',
        resourceType: 'Observation',
        id: 'o1',
        resource: observation,
        source: 'ingest',
        requestId: 'r4',
      },
    ]);
    expect(log.lines).toEqual([]);
    expect(explained).toBe(0);
  });
});

describe('POST [base]/$explain-subscriptions', () => {
  const setup = async () => {
    const { cache } = await seeded();
    const ledger = new InMemoryVersionLedger();
    const queue = new RecordingQueue();
    const route = createIngestRouter({
      pipeline: new DefaultWritePipeline({ ledger, matcher: cache, queue }),
      routes: [
        (request) =>
          handleExplainSubscriptions(request, {
            explain: (resource, operation, options) => cache.explain(resource, operation, options),
            logger: { info: () => undefined },
          }),
      ],
    });
    return { route, ledger, queue };
  };
  const explain = (body: unknown, caller = {}) =>
    fhirRequest({ method: 'POST', path: '$explain-subscriptions', body, ...caller });

  it('answers every active Subscription with whether it matches and the first criterion that failed, writing nothing', async () => {
    const { route, ledger, queue } = await setup();
    const response = await route(explain(observation));
    expect(response.status).toBe(200);
    const verdicts = (
      response.body as { parameter: { name: string; part: { name: string; [value: string]: unknown }[] }[] }
    ).parameter.map((parameter) =>
      Object.fromEntries(
        parameter.part.map((part) => [
          part.name,
          Object.entries(part).find(([key]) => key.startsWith('value'))?.[1],
        ]),
      ),
    );
    expect(verdicts).toEqual([
      { id: 'a-final', criteria: 'Observation?status=final', endpoint: expect.any(String), matched: true },
      expect.objectContaining({ id: 'b-code', matched: false, failed: 'code' }),
      expect.objectContaining({ id: 'c-patients', matched: false, failed: 'resourceType' }),
      expect.objectContaining({ id: 'd-chained', matched: true, decidedBySource: 'subject:Patient.name' }),
    ]);
    expect(queue.messages).toEqual([]);
    expect(await ledger.getLatest(['Observation/o1'])).toEqual(new Map());
  });

  it('takes a Parameters with the resource and operation delete', async () => {
    const { route } = await setup();
    const response = await route(
      explain({
        resourceType: 'Parameters',
        parameter: [
          { name: 'resource', resource: { resourceType: 'Patient', id: 'p1' } },
          { name: 'operation', valueCode: 'delete' },
        ],
      }),
    );
    expect(JSON.stringify(response.body)).toContain(
      '"valueId":"c-patients"},{"name":"criteria","valueString":"[Patient]"}',
    );
    expect(response.status).toBe(200);
  });

  it('needs the admin scope, and refuses an invalid resource as a write would', async () => {
    const { route } = await setup();
    expect((await route(explain(observation, { caller: WRITE_CALLER }))).status).toBe(403);
    const invalid = await route(explain({ resourceType: 'Observation', id: 'o1', status: 42 }));
    expect(invalid.status).toBe(400);
    expect((await route(explain({ resourceType: 'NotAType' }))).status).toBe(400);
  });
});
