import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { TOKEN_SCOPES } from '../../../shared/http/scopes.js';
import { requiredScope } from '../../../shared/ingest/routes/routeScope.js';
import type { IncomingWrite, WritePipeline, WriteResult } from '../../../shared/ingest/types.js';
import {
  handleNotificationRequest,
  notificationRoute,
  type NotificationRouteDeps,
} from '../../../shared/notificationIntake/handleNotificationRequest.js';
import { InMemorySourceSubscriptionStore } from '../../../shared/notifications/InMemorySourceSubscriptionStore.js';
import { T0, backportFixture, fixtureRules } from '../../helpers/backportNotifications.js';

const SOURCE = { subscription: 'admission', resourceTypes: ['Encounter', 'Patient'], events: false };

/** The route over in-memory stores, recording every write the pipeline accepted. */
const setup = (
  options: {
    failPipeline?: boolean;
    grace?: number;
    source?: typeof SOURCE;
    reconcile?: NotificationRouteDeps['reconcile'];
  } = {},
) => {
  const states = new InMemorySourceSubscriptionStore();
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const writes: IncomingWrite[] = [];
  const dispositions: string[] = [];
  const missed: number[] = [];
  let clock = Date.parse(T0);
  const pipeline: WritePipeline = {
    accept: async (batch) => {
      if (options.failPipeline) throw new Error('ledger unavailable');
      writes.push(...batch);
      return batch.map((): WriteResult => ({
        status: 'recorded',
        versionId: '1',
        lastUpdated: T0,
        matched: 1,
        enqueued: 1,
      }));
    },
  };
  const deps: NotificationRouteDeps = {
    sources: new Map([[SOURCE.subscription, options.source ?? SOURCE]]),
    ...(options.reconcile ? { reconcile: options.reconcile } : {}),
    rules: fixtureRules,
    states,
    jobs: { jobs, queue },
    pipeline,
    observer: {
      notification: (disposition) => dispositions.push(disposition),
      missed: (count) => missed.push(count),
    },
    now: () => new Date(clock),
    gapGraceSeconds: options.grace ?? 0,
    validateResources: true,
    maxClockSkewSeconds: 300,
  };
  const post = (body: unknown): Promise<{ status: number; body: unknown }> =>
    handleNotificationRequest(
      {
        method: 'POST',
        path: '$subscription-notification',
        query: {},
        headers: {},
        body,
        requestId: 'req-1',
        baseUrl: 'https://connector.test/fhir',
      } as FhirRequest,
      deps,
    ).then((response) => ({ status: response.status, body: response.body }));
  return {
    states,
    jobs,
    queue,
    writes,
    dispositions,
    missed,
    post,
    tick: (seconds: number) => (clock += seconds * 1000),
  };
};

/** A fixture with its event numbers (and events-since-subscription-start) set to `n`. */
const numbered = (name: string, n: number): Record<string, unknown> => {
  const bundle = backportFixture(name) as {
    entry: {
      resource: {
        parameter: { name: string; valueString?: string; part?: { name: string; valueString?: string }[] }[];
      };
    }[];
  };
  for (const parameter of bundle.entry[0]!.resource.parameter) {
    if (parameter.name === 'events-since-subscription-start') parameter.valueString = String(n);
    for (const part of parameter.part ?? []) if (part.name === 'event-number') part.valueString = String(n);
  }
  return bundle as unknown as Record<string, unknown>;
};

const issuesOf = (body: unknown) =>
  (body as { issue: { code: string; expression?: string[] }[] }).issue.map((issue) => [
    issue.code,
    ...(issue.expression ?? []),
  ]);

describe('POST $subscription-notification: each notification shape', () => {
  it('answers a handshake and a heartbeat 200 and records them, replicating nothing', async () => {
    const { post, states, writes, queue } = setup();
    expect((await post(backportFixture('handshake'))).status).toBe(200);
    expect((await post(numbered('heartbeat', 0))).status).toBe(200);
    expect(writes).toEqual([]);
    expect(queue.messages).toEqual([]);
    expect(await states.get('admission')).toMatchObject({ status: 'active', lastHeartbeatAt: T0 });
  });

  it('sends each full-resource focus through the write pipeline as an upsert, as checked by ingest', async () => {
    const { post, writes, queue } = setup();
    const answer = await post(numbered('full-resource', 1));
    expect(answer.status).toBe(200);
    expect(writes.map((write) => [write.operation, write.resourceType, write.id])).toEqual([
      ['upsert', 'Encounter', '86009987-eabe-42bf-8c02-b112b18cb616'],
    ]);
    expect(writes[0]?.resource).toMatchObject({ resourceType: 'Encounter', status: 'in-progress' });
    expect(queue.messages).toEqual([]);
  });

  it('replicates a delete (request.method DELETE) as a delete write', async () => {
    const { post, writes } = setup();
    expect((await post(numbered('delete', 1))).status).toBe(200);
    expect(writes.map((write) => [write.operation, write.resourceType, write.id])).toEqual([
      ['delete', 'Encounter', '86009987-eabe-42bf-8c02-b112b18cb616'],
    ]);
  });

  it('reads id-only foci from the source in a notification job (a backfill job), writing nothing itself', async () => {
    const { post, writes, jobs, queue } = setup();
    expect((await post(numbered('id-only', 1))).status).toBe(200);
    expect(writes).toEqual([]);
    expect(queue.messages).toEqual([
      expect.objectContaining({ task: 'ids', ids: ['Encounter/86009987-eabe-42bf-8c02-b112b18cb616'] }),
    ]);
    const job = await jobs.get(queue.messages[0]!.jobId);
    expect(job?.notification).toMatchObject({ sourceSubscriptionId: 'admission', reasons: ['read'] });
  });

  it('catches up an empty notification with history _since for the topic types', async () => {
    const { post, queue } = setup();
    expect((await post(numbered('empty', 1))).status).toBe(200);
    expect(queue.messages.map((message) => ('pageUrl' in message ? message.pageUrl : message.task))).toEqual([
      expect.stringMatching(/^Encounter\/_history\?_since=/),
      expect.stringMatching(/^Patient\/_history\?_since=/),
    ]);
  });
});

describe('POST $subscription-notification: repeats, late arrivals and gaps', () => {
  it('changes no bookkeeping for a notification sent twice, reads its resource fresh, and counts the repeat', async () => {
    const { post, states, writes, queue, dispositions } = setup();
    await post(numbered('full-resource', 1));
    const before = await states.get('admission');
    const again = await post(numbered('full-resource', 1));
    expect(again.status).toBe(200);
    expect(await states.get('admission')).toEqual(before);
    expect(writes).toHaveLength(1); // the repeat's copy is not applied...
    expect(queue.messages).toEqual([expect.objectContaining({ task: 'ids' })]); // ...it is read as the source has it
    expect(dispositions).toEqual(['in-order', 'duplicate']);
  });

  it('takes an overtaken event within the grace period as late: no gap, counted as late', async () => {
    const { post, states, dispositions, missed, tick } = setup({ grace: 30 });
    await post(numbered('full-resource', 1));
    tick(1);
    await post(numbered('full-resource', 3));
    tick(1);
    await post(numbered('full-resource', 2));
    expect(dispositions).toEqual(['in-order', 'in-order', 'late']);
    expect(missed).toEqual([]);
    const state = await states.get('admission');
    expect(state).toMatchObject({ lastEventNumber: 3, counts: expect.objectContaining({ gapsFound: 0 }) });
    expect(state?.pendingGaps).toBeUndefined();
  });

  it('finds a skipped number, counts it missed, and starts a catch-up job _since the last good point', async () => {
    const { post, states, queue, jobs, missed, tick } = setup();
    await post(numbered('full-resource', 1));
    tick(10);
    await post(numbered('full-resource', 3));
    expect(missed).toEqual([1]);
    expect(await states.get('admission')).toMatchObject({
      counts: expect.objectContaining({ gapsFound: 1, eventsMissed: 1 }),
    });
    const job = await jobs.get(queue.messages[0]!.jobId);
    expect(job?.notification).toMatchObject({ reasons: ['event-gap'], gaps: 1 });
    expect(job?.streams.map((stream) => stream.kind)).toEqual(['history', 'history']);
    // The bookkeeping of the gap itself is as repeat-safe as the rest: sending 3 again finds nothing new.
    await post(numbered('full-resource', 3));
    expect(missed).toEqual([1]);
  });
});

describe('POST $subscription-notification: a catch-up without the topic types', () => {
  it('starts reconcile compares _since the last good point when the topic has no resource types', async () => {
    const calls: string[] = [];
    const { post, queue, tick } = setup({
      source: { ...SOURCE, resourceTypes: [] },
      reconcile: async (since) => {
        calls.push(since);
        return ['reconcile-1'];
      },
    });
    await post(numbered('full-resource', 1));
    tick(10);
    const answer = await post(numbered('full-resource', 3));
    expect(answer.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(Date.parse(calls[0]!)).toBeLessThanOrEqual(Date.parse(T0));
    expect(JSON.stringify(answer.body)).toContain('reconcile jobs reconcile-1');
    expect(queue.messages).toEqual([]); // no history stream without types
  });
});

describe('POST $subscription-notification: refusals change nothing', () => {
  const expectNothingChanged = async (context: ReturnType<typeof setup>) => {
    expect(context.writes).toEqual([]);
    expect(context.queue.messages).toEqual([]);
    expect(await context.states.list()).toEqual([]);
  };

  it('refuses a Bundle that is no notification with 400 and an OperationOutcome', async () => {
    const context = setup();
    const answer = await context.post({ resourceType: 'Bundle', type: 'transaction', entry: [] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ resourceType: 'OperationOutcome' });
    await expectNothingChanged(context);
  });

  it('refuses a $status or $events answer (query-status, query-event), which no source pushes', async () => {
    const context = setup();
    const answer = await context.post(backportFixture('error')); // the IG's query-status example
    expect(answer.status).toBe(400);
    expect(issuesOf(answer.body)).toEqual([
      ['invalid', "Bundle.entry[0].resource.parameter.where(name = 'type')"],
    ]);
    await expectNothingChanged(context);
  });

  it('refuses a notification of a source Subscription the connector does not follow with 404', async () => {
    const context = setup();
    const stranger = numbered('full-resource', 1) as {
      entry: { resource: { parameter: { name: string; valueReference?: unknown }[] } }[];
    };
    stranger.entry[0]!.resource.parameter[0]!.valueReference = {
      reference: 'https://example.org/fhir/Subscription/stranger',
    };
    const answer = await context.post(stranger);
    expect(answer.status).toBe(404);
    expect(issuesOf(answer.body)).toEqual([
      ['not-found', "Bundle.entry[0].resource.parameter.where(name = 'subscription')"],
    ]);
    await expectNothingChanged(context);
  });

  it('refuses a focus on another origin (never fetched) with 400 security, located', async () => {
    const context = setup();
    const elsewhere = numbered('id-only', 1) as {
      entry: {
        resource: {
          parameter: { name: string; part?: { name: string; valueReference?: { reference: string } }[] }[];
        };
      }[];
    };
    const focus = elsewhere.entry[0]!.resource.parameter.flatMap((parameter) => parameter.part ?? []).find(
      (part) => part.name === 'focus',
    )!;
    focus.valueReference = { reference: 'http://169.254.169.254/latest/Encounter/e1' };
    const answer = await context.post(elsewhere);
    expect(answer.status).toBe(400);
    expect(issuesOf(answer.body)[0]?.[0]).toBe('security');
    expect(JSON.stringify(answer.body)).not.toContain('169.254');
    await expectNothingChanged(context);
  });

  it('refuses a carried resource that fails ingest checks, naming where, and records nothing', async () => {
    const context = setup();
    const bad = numbered('full-resource', 1) as { entry: { resource: Record<string, unknown> }[] };
    bad.entry[1]!.resource['status'] = 42;
    const answer = await context.post(bad);
    expect(answer.status).toBe(400);
    expect(
      issuesOf(answer.body).some((issue) =>
        issue.some((part) => part.startsWith('Bundle.entry[1].resource')),
      ),
    ).toBe(true);
    await expectNothingChanged(context);
  });

  it('leaves the bookkeeping as it was when the pipeline fails, so the source retry decides the same', async () => {
    const context = setup({ failPipeline: true });
    await expect(context.post(numbered('full-resource', 1))).rejects.toThrow();
    expect((await context.states.get('admission'))?.lastEventNumber).toBeUndefined();
  });

  it('answers 405 to anything but POST', async () => {
    const { states } = setup();
    const answer = await handleNotificationRequest(
      {
        method: 'GET',
        path: '$subscription-notification',
        query: {},
        headers: {},
        requestId: 'r',
        baseUrl: 'https://c/fhir',
      } as FhirRequest,
      {
        sources: new Map(),
        rules: fixtureRules,
        states,
        jobs: { jobs: new InMemoryJobStore(), queue: new InMemoryWorkQueue() },
        maxClockSkewSeconds: 300,
      },
    );
    expect(answer.status).toBe(405);
  });
});

describe('Scopes: what a write-scope token reaches', () => {
  const route = notificationRoute({
    sources: new Map(),
    rules: fixtureRules,
    states: new InMemorySourceSubscriptionStore(),
    jobs: { jobs: new InMemoryJobStore(), queue: new InMemoryWorkQueue() },
    maxClockSkewSeconds: 300,
  });

  it('lets a write token post notifications, and only to the one path', () => {
    expect(requiredScope('$subscription-notification', [route])).toBe(TOKEN_SCOPES.write);
    expect(requiredScope('$notification-status', [route])).toBe(TOKEN_SCOPES.admin);
    expect(requiredScope('Encounter/$subscription-notification', [route])).toBe(TOKEN_SCOPES.admin);
    expect(requiredScope('$subscription-notification/x', [route])).toBe(TOKEN_SCOPES.admin);
  });
});
