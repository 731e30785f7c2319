import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCriteria, criteriaCompiler } from '../../../shared/criteria/index.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import {
  handleReconcileRequest,
  type ReconcileRouteDeps,
} from '../../../shared/reconcile/handleReconcileRequest.js';
import type { ReconcileMessage } from '../../../shared/reconcile/types.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { ADMIN_CALLER, FakeMatcher, RecordingQueue, WRITE_CALLER } from '../../helpers/ingestFakes.js';
import { activeSubscription } from '../backfill/harness.js';
import { newJob, startReconcileHarness, type ReconcileHarness } from './reconcileHarness.js';

let harness: ReconcileHarness;
let sent: ReconcileMessage[];
let deps: ReconcileRouteDeps;

beforeAll(async () => {
  harness = await startReconcileHarness();
});
afterAll(async () => {
  await harness?.stop();
});

const request = (method: FhirRequest['method'], path: string, body?: unknown): FhirRequest => ({
  method,
  path,
  query: {},
  headers: {},
  ...(body === undefined ? {} : { body }),
  requestId: 'r1',
  baseUrl: 'https://api.example.org/fhir',
});

const parameters = (...parameter: Record<string, unknown>[]) => ({ resourceType: 'Parameters', parameter });
const subscription = { name: 'subscription', valueString: 'sub-1' };

const setup = (
  entries: Record<
    string,
    {
      status: string;
      criteria?: string;
      sendDeletes?: boolean;
      replication?: { idPrefix: string };
      transform?: string;
    }
  >,
) => {
  sent = [];
  let next = 0;
  deps = {
    jobs: harness.jobs,
    subscriptions: {
      getSubscription: async (id) => {
        const entry = entries[id];
        if (!entry) return undefined;
        if (entry.status !== 'active') return { status: entry.status };
        return {
          status: 'active',
          active: {
            ...activeSubscription(id, entry.criteria ?? '[*]'),
            sendDeleteMessages: entry.sendDeletes ?? true,
            ...(entry.replication ? { replication: entry.replication } : {}),
            ...(entry.transform ? { transform: entry.transform } : {}),
          },
        };
      },
    },
    queue: { send: async (messages) => void sent.push(...messages) },
    compileCriteria,
    idListLocation: (jobId) => `s3://payloads/reconcile/${jobId}/`,
    newJobId: () => `route-${Date.now()}-${(next += 1)}`,
  };
};

const issue = (body: unknown): { diagnostics: string; expression?: string[] } =>
  (body as { issue: { diagnostics: string; expression?: string[] }[] }).issue[0] ?? { diagnostics: '' };

describe('handleReconcileRequest', () => {
  it('answers 202 with the status URL and enqueues the plan; GET reports, DELETE cancels', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const started = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription, { name: 'resourceType', valueCode: 'Patient' })),
      deps,
    );
    expect(started?.status).toBe(202);
    const location = started?.headers?.['content-location'] ?? '';
    const jobId = location.split('/').pop() as string;
    expect(location).toBe(`https://api.example.org/fhir/$reconcile-job/${jobId}`);
    expect(sent).toEqual([{ jobId, task: 'plan' }]);

    const status = await handleReconcileRequest(request('GET', `$reconcile-job/${jobId}`), deps);
    expect(status?.status).toBe(200);
    const report = status?.body as { parameter: { name: string; valueCode?: string; valueUrl?: string }[] };
    expect(report.parameter.find((p) => p.name === 'state')?.valueCode).toBe('queued');
    expect(report.parameter.find((p) => p.name === 'idLists')?.valueUrl).toBe(
      `s3://payloads/reconcile/${jobId}/`,
    );

    const cancelled = await handleReconcileRequest(request('DELETE', `$reconcile-job/${jobId}`), deps);
    expect(cancelled?.status).toBe(200);
    expect((await harness.jobs.get(jobId))?.state).toBe('cancelled');
    // Cancelling again is idempotent; a final state other than cancelled answers 409 (see the prune test).
    expect((await handleReconcileRequest(request('DELETE', `$reconcile-job/${jobId}`), deps))?.status).toBe(
      200,
    );
  });

  it('refuses (422) a Subscription whose criteria only the source can evaluate, enqueuing nothing', async () => {
    setup({ 'sub-1': { status: 'active', criteria: 'Observation?subject.identifier=http://h|1' } });
    deps = { ...deps, compileCriteria: criteriaCompiler({ sourceEvaluation: true }) };
    const refused = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(refused?.status).toBe(422);
    expect(issue(refused?.body).diagnostics).toContain('use $trigger-subscription');
    expect(sent).toEqual([]);
  });

  it('refuses (422) a Subscription with a transform: HealthLake holds what the transform returned, never the source copy', async () => {
    setup({ 'sub-1': { status: 'active', transform: 'mask' } });
    const refused = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(refused?.status).toBe(422);
    expect(issue(refused?.body).diagnostics).toContain('transform');
    expect(sent).toEqual([]);
  });

  it('is admin-only behind the ingest router: a write-scoped token gets 403 on POST $reconcile and nothing is enqueued', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const route = createIngestRouter({
      pipeline: new DefaultWritePipeline({
        ledger: new InMemoryVersionLedger(),
        matcher: new FakeMatcher(),
        queue: new RecordingQueue(),
      }),
      routes: [(fhir) => handleReconcileRequest(fhir, deps)],
    });
    const start = request('POST', '$reconcile', parameters(subscription));
    const refused = await route({ ...start, caller: WRITE_CALLER });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    expect((await route({ ...request('GET', '$reconcile-job/any'), caller: WRITE_CALLER })).status).toBe(403);
    expect(sent).toEqual([]);

    const accepted = await route({ ...start, caller: ADMIN_CALLER });
    expect(accepted.status).toBe(202);
    expect(sent).toHaveLength(1);
  });

  it('rejects bad input with 400 naming the parameter, and changes nothing', async () => {
    setup({ 'sub-1': { status: 'active', criteria: '[Patient]' } });
    const cases: [unknown, RegExp, string][] = [
      [parameters(), /subscription parameter is required/, 'Parameters.parameter'],
      [
        parameters(subscription, { name: 'mode', valueCode: 'delete-all' }),
        /mode must be/,
        'Parameters.parameter[1].value',
      ],
      [
        parameters(subscription, { name: 'bogus', valueString: 'x' }),
        /Unknown parameter/,
        'Parameters.parameter[1].name',
      ],
      [
        parameters(subscription, { name: 'since', valueDateTime: 'yesterday' }),
        /since must be a dateTime/,
        'Parameters.parameter[1].value',
      ],
      [
        parameters(
          subscription,
          { name: 'resourceId', valueString: 'Patient/1' },
          { name: 'resourceType', valueCode: 'Patient' },
        ),
        /cannot be combined/,
        'Parameters.parameter',
      ],
      [
        parameters(subscription, { name: 'mode', valueCode: 'repair-and-prune' }),
        /requires pruneConfirmation/,
        'Parameters.parameter',
      ],
      [
        parameters(subscription, { name: 'resourceType', valueCode: 'Observation' }),
        /never match/,
        'resourceType',
      ],
    ];
    for (const [body, message, expression] of cases) {
      const response = await handleReconcileRequest(request('POST', '$reconcile', body), deps);
      expect(response?.status).toBe(400);
      expect(issue(response?.body).diagnostics).toMatch(message);
      expect(issue(response?.body).expression).toEqual([expression]);
    }
    expect(sent).toEqual([]);
  });

  it('answers 404 for an unknown subscription or job, 409 for an inactive subscription', async () => {
    setup({ 'sub-1': { status: 'off' } });
    expect(
      (
        await handleReconcileRequest(
          request('POST', '$reconcile', parameters({ name: 'subscription', valueString: 'nope' })),
          deps,
        )
      )?.status,
    ).toBe(404);
    expect(
      (await handleReconcileRequest(request('POST', '$reconcile', parameters(subscription)), deps))?.status,
    ).toBe(409);
    expect((await handleReconcileRequest(request('GET', '$reconcile-job/unknown'), deps))?.status).toBe(404);
    expect((await handleReconcileRequest(request('GET', '$reconcile'), deps))?.status).toBe(405);
    expect(await handleReconcileRequest(request('GET', 'Patient/1'), deps)).toBeUndefined();
  });

  it('starts repair-and-prune only with the only-in-HealthLake count of a completed compare of the same subscription', async () => {
    setup({ 'sub-1': { status: 'active' } });
    await harness.jobs.create(newJob('compare-1'));
    await harness.jobs.plan(
      'compare-1',
      [
        {
          side: 'source',
          resourceType: 'Patient',
          query: 'Patient?',
          page: -1,
          nextEnqueued: true,
          done: false,
        },
      ],
      new Date().toISOString(),
    );
    await harness.jobs.commitPage('compare-1', {
      stream: 0,
      page: 0,
      counts: { Patient: { onlyInHealthLake: 4, inSync: 2 } },
      samples: [],
    });
    const prune = (count: number) =>
      handleReconcileRequest(
        request(
          'POST',
          '$reconcile',
          parameters(
            subscription,
            { name: 'mode', valueCode: 'repair-and-prune' },
            { name: 'pruneConfirmation', valueUnsignedInt: count },
            { name: 'compareJob', valueString: 'compare-1' },
          ),
        ),
        deps,
      );
    expect((await prune(4))?.status).toBe(409); // not completed yet
    await harness.jobs.completeIfDone('compare-1', new Date().toISOString());
    expect((await prune(5))?.status).toBe(409);
    expect(sent).toEqual([]);
    expect((await prune(4))?.status).toBe(202);
    expect((await handleReconcileRequest(request('DELETE', '$reconcile-job/compare-1'), deps))?.status).toBe(
      409,
    );

    setup({ 'sub-1': { status: 'active', sendDeletes: false } });
    expect((await prune(4))?.status).toBe(409);
  });

  it('refuses a prune whose scope or target differs from its compare (409 saying what differs and the expected count), and starts nothing', async () => {
    setup({ 'sub-1': { status: 'active', replication: { idPrefix: 'CDR1-' } } });
    const post = (...parameter: Record<string, unknown>[]) =>
      handleReconcileRequest(request('POST', '$reconcile', parameters(subscription, ...parameter)), deps);
    const started = await post(
      { name: 'resourceType', valueCode: 'Observation' },
      { name: 'since', valueDateTime: '2026-01-01' },
    );
    const compareId = started?.headers?.['content-location']?.split('/').pop() as string;
    expect((await harness.jobs.get(compareId))?.target).toMatch(/CDR1-/);
    await harness.jobs.plan(
      compareId,
      [
        {
          side: 'healthlake',
          resourceType: 'Observation',
          query: 'Observation?',
          page: -1,
          nextEnqueued: true,
          done: false,
        },
      ],
      new Date().toISOString(),
    );
    await harness.jobs.commitPage(compareId, {
      stream: 0,
      page: 0,
      counts: { Observation: { onlyInHealthLake: 1 } },
      samples: [],
    });
    await harness.jobs.completeIfDone(compareId, new Date().toISOString());
    sent = [];
    const prune = (...scope: Record<string, unknown>[]) =>
      post(
        { name: 'mode', valueCode: 'repair-and-prune' },
        { name: 'pruneConfirmation', valueUnsignedInt: 1 },
        { name: 'compareJob', valueString: compareId },
        ...scope,
      );

    const otherType = await prune(
      { name: 'resourceType', valueCode: 'Patient' },
      { name: 'since', valueDateTime: '2026-01-01' },
    );
    expect(otherType?.status).toBe(409);
    expect(issue(otherType?.body).diagnostics).toMatch(
      /resourceType \(compare: Observation; prune: Patient\).*reported 1 only in HealthLake/,
    );
    const noWindow = await prune({ name: 'resourceType', valueCode: 'Observation' });
    expect(issue(noWindow?.body).diagnostics).toMatch(/since \(compare: 2026-01-01; prune: none\)/);
    const searches = await prune(
      { name: 'searchUrl', valueString: 'Observation?code=secret-123' },
      { name: 'since', valueDateTime: '2026-01-01' },
      { name: 'resourceType', valueCode: 'Observation' },
    );
    expect(issue(searches?.body).diagnostics).toMatch(/searchUrl \(compare: 0; prune: 1/);
    expect(issue(searches?.body).diagnostics).not.toMatch(/secret/);
    expect(sent).toEqual([]);

    setup({ 'sub-1': { status: 'active', replication: { idPrefix: 'CDR9-' } } });
    const retargeted = await prune(
      { name: 'resourceType', valueCode: 'Observation' },
      { name: 'since', valueDateTime: '2026-01-01' },
    );
    expect(retargeted?.status).toBe(409);
    expect(issue(retargeted?.body).diagnostics).toMatch(/replication settings changed/);

    setup({ 'sub-1': { status: 'active', replication: { idPrefix: 'CDR1-' } } });
    const same = await prune(
      { name: 'since', valueDateTime: '2026-01-01' },
      { name: 'resourceType', valueCode: 'Observation' },
    );
    expect(same?.status).toBe(202);
    expect(sent).toHaveLength(1);
  });
});
