import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compileCriteria, criteriaCompiler } from '../../../shared/criteria/index.js';
import { FHIR_JSON, type FhirRequest } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import {
  handleReconcileRequest,
  type ReconcileRouteDeps,
} from '../../../shared/reconcile/handleReconcileRequest.js';
import type { ReconcileJob, ReconcileMessage } from '../../../shared/reconcile/types.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { ADMIN_CALLER, FakeMatcher, RecordingQueue, WRITE_CALLER } from '../../helpers/ingestFakes.js';
import { activeSubscription } from '../backfill/harness.js';
import { newJob, newStream, startReconcileHarness, type ReconcileHarness } from './reconcileHarness.js';

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
    await harness.jobs.plan('compare-1', [newStream()], new Date().toISOString());
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
    const wrongCount = await prune(5);
    expect(wrongCount?.status).toBe(409);
    // The operator learns the count to confirm, not only that theirs was wrong.
    expect(issue(wrongCount?.body).diagnostics).toBe(
      'pruneConfirmation must be 4, the only-in-HealthLake count compare job compare-1 reported (given: 5); nothing was started',
    );
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

const NOW = '2026-03-01T10:00:00.000Z';
const spyLogger = () => ({ error: vi.fn(), info: vi.fn(), warn: vi.fn() });
let fixedIds = 0;
const fixedJobId = () => `fixed-${Date.now()}-${(fixedIds += 1)}`;
const body = (response: unknown) => (response as { body: unknown }).body;

/** A completed compare of sub-1 (every type) that reported `onlyInHealthLake` ids only in HealthLake. */
const completedCompare = async (jobId: string, onlyInHealthLake: number) => {
  await harness.jobs.create(newJob(jobId));
  await harness.jobs.plan(jobId, [newStream()], NOW);
  await harness.jobs.commitPage(jobId, {
    stream: 0,
    page: 0,
    counts: { Patient: { onlyInHealthLake } },
    samples: [],
  });
  await harness.jobs.completeIfDone(jobId, NOW);
};

describe('handleReconcileRequest: exact answers', () => {
  it('answers 202 with exactly jobId, state queued and the status URL, as Location and Content-Location', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const jobId = fixedJobId();
    const logger = spyLogger();
    deps = { ...deps, newJobId: () => jobId, now: () => new Date(NOW), logger };
    const started = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    const location = `https://api.example.org/fhir/$reconcile-job/${jobId}`;
    expect(started).toEqual({
      status: 202,
      headers: { 'content-type': FHIR_JSON, 'content-location': location, location },
      body: {
        resourceType: 'Parameters',
        parameter: [
          { name: 'jobId', valueString: jobId },
          { name: 'state', valueCode: 'queued' },
          { name: 'status', valueUrl: location },
        ],
      },
    });
    expect(sent).toEqual([{ jobId, task: 'plan' }]);
    expect(logger.info).toHaveBeenCalledWith('Reconcile job created', {
      jobId,
      subscriptionId: 'sub-1',
      mode: 'compare',
      requestId: 'r1',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  /** Starts a job with `params` (at NOW, with a fixed id) and returns the job as handed to the store. */
  const createdJob = async (...params: Parameters<typeof parameters>) => {
    const jobId = fixedJobId();
    deps = { ...deps, newJobId: () => jobId, now: () => new Date(NOW) };
    const create = vi.spyOn(harness.jobs, 'create');
    try {
      const started = await handleReconcileRequest(
        request('POST', '$reconcile', parameters(...params)),
        deps,
      );
      expect(started?.status).toBe(202);
      expect(create).toHaveBeenCalledTimes(1);
      return { jobId, job: create.mock.calls[0]?.[0] as ReconcileJob };
    } finally {
      create.mockRestore();
    }
  };

  it('creates the job queued and unplanned, with no streams or samples, and no prune fields unless given', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const { jobId, job } = await createdJob(
      subscription,
      { name: 'resourceType', valueCode: 'Patient' },
      { name: 'mode', valueCode: 'repair' },
    );
    expect(job).toStrictEqual({
      jobId,
      subscriptionId: 'sub-1',
      mode: 'repair',
      contentHash: false,
      scope: job.scope,
      target: job.target,
      state: 'queued',
      createdAt: NOW,
      planned: false,
      streams: [],
      streamsDone: 0,
      counts: {},
      samples: [],
      idLists: `s3://payloads/reconcile/${jobId}/`,
    });
    expect(job.scope.resourceTypes).toEqual(['Patient']);
    expect(typeof job.target).toBe('string');
    expect('pruneConfirmation' in job).toBe(false);
    expect('compareJobId' in job).toBe(false);
  });

  it('keeps pruneConfirmation and compareJobId on a prune job', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const compareId = fixedJobId();
    await completedCompare(compareId, 3);
    const { jobId, job } = await createdJob(
      subscription,
      { name: 'mode', valueCode: 'repair-and-prune' },
      { name: 'pruneConfirmation', valueUnsignedInt: 3 },
      { name: 'compareJob', valueString: compareId },
    );
    expect(job.jobId).toBe(jobId);
    expect(job.mode).toBe('repair-and-prune');
    expect(job.pruneConfirmation).toBe(3);
    expect(job.compareJobId).toBe(compareId);
    expect(job.planned).toBe(false);
    expect(job.streams).toEqual([]);
    expect(job.samples).toEqual([]);
    const stored = await harness.jobs.get(jobId);
    expect(stored?.pruneConfirmation).toBe(3);
    expect(stored?.compareJobId).toBe(compareId);
  });

  it('normalises leading and trailing slashes of the path', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const jobId = fixedJobId();
    deps = { ...deps, newJobId: () => jobId };
    const started = await handleReconcileRequest(
      request('POST', '//$reconcile//', parameters(subscription)),
      deps,
    );
    expect(started?.status).toBe(202);
    for (const path of [
      `//$reconcile-job/${jobId}/`,
      `/$reconcile-job/${jobId}//`,
      `$reconcile-job/${jobId}`,
    ]) {
      const status = await handleReconcileRequest(request('GET', path), deps);
      expect(status?.status).toBe(200);
      expect((status?.body as { parameter: { name: string; valueString?: string }[] }).parameter[0]).toEqual({
        name: 'jobId',
        valueString: jobId,
      });
    }
    expect(await handleReconcileRequest(request('GET', `$reconcile-job/${jobId}/x`), deps)).toBeUndefined();
    expect(await handleReconcileRequest(request('GET', `$reconcile-jobs/${jobId}`), deps)).toBeUndefined();
  });

  it('refuses other methods with 405 and exact texts; PUT on a job cancels nothing', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const logger = spyLogger();
    deps = { ...deps, logger };
    expect(await handleReconcileRequest(request('GET', '$reconcile'), deps)).toEqual({
      status: 405,
      headers: { 'content-type': FHIR_JSON },
      body: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'not-supported', diagnostics: '$reconcile requires POST' }],
      },
    });
    const jobId = fixedJobId();
    await harness.jobs.create(newJob(jobId));
    const put = await handleReconcileRequest(request('PUT', `$reconcile-job/${jobId}`), deps);
    expect(put?.status).toBe(405);
    expect(issue(put?.body).diagnostics).toBe('PUT is not supported on a reconcile job');
    expect((await harness.jobs.get(jobId))?.state).toBe('queued');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('answers 404 for an unknown or invalid job id, with exact texts', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const unknown = await handleReconcileRequest(request('GET', '$reconcile-job/never-1'), deps);
    expect(unknown).toEqual({
      status: 404,
      headers: { 'content-type': FHIR_JSON },
      body: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'not-found', diagnostics: 'Unknown reconcile job never-1' }],
      },
    });
    const invalid = await handleReconcileRequest(request('GET', '$reconcile-job/bad_id'), deps);
    expect(invalid?.status).toBe(404);
    expect(issue(invalid?.body).diagnostics).toBe('Unknown reconcile job');
    const deleted = await handleReconcileRequest(request('DELETE', '$reconcile-job/never-2'), deps);
    expect(deleted?.status).toBe(404);
    expect(issue(deleted?.body).diagnostics).toBe('Unknown reconcile job never-2');
    expect(await harness.jobs.get('never-2')).toBeUndefined();
  });

  it('cancels on DELETE with the reason "Cancelled on request"; a finished job answers 409 "already <state>"', async () => {
    setup({ 'sub-1': { status: 'active' } });
    const logger = spyLogger();
    deps = { ...deps, logger, now: () => new Date(NOW) };
    const jobId = fixedJobId();
    await harness.jobs.create(newJob(jobId));
    const cancelled = await handleReconcileRequest(request('DELETE', `$reconcile-job/${jobId}`), deps);
    expect(cancelled?.status).toBe(200);
    const parameter = (cancelled?.body as { parameter: { name: string }[] }).parameter;
    expect(parameter.find((p) => p.name === 'state')).toEqual({ name: 'state', valueCode: 'cancelled' });
    expect(parameter.find((p) => p.name === 'reason')).toEqual({
      name: 'reason',
      valueString: 'Cancelled on request',
    });
    const stored = await harness.jobs.get(jobId);
    expect(stored?.reason).toBe('Cancelled on request');
    expect(stored?.endedAt).toBe(NOW);
    expect(logger.info).toHaveBeenCalledWith('Reconcile job cancelled', { jobId, subscriptionId: 'sub-1' });

    const compareId = fixedJobId();
    await completedCompare(compareId, 0);
    const refused = await handleReconcileRequest(request('DELETE', `$reconcile-job/${compareId}`), deps);
    expect(refused?.status).toBe(409);
    expect(body(refused)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'conflict', diagnostics: `Reconcile job ${compareId} already completed` },
      ],
    });
    expect((await harness.jobs.get(compareId))?.state).toBe('completed');
  });

  it('names the unknown and the inactive subscription, and refuses repair-and-prune without deletes', async () => {
    setup({ 'sub-1': { status: 'off' }, 'sub-2': { status: 'active', sendDeletes: false } });
    const unknown = await handleReconcileRequest(
      request('POST', '$reconcile', parameters({ name: 'subscription', valueString: 'nope' })),
      deps,
    );
    expect(unknown?.status).toBe(404);
    expect(issue(unknown?.body).diagnostics).toBe('Unknown subscription nope');
    const inactive = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(inactive?.status).toBe(409);
    expect(issue(inactive?.body).diagnostics).toBe(
      'Subscription sub-1 is not active (status off); activate it first',
    );
    const noDeletes = await handleReconcileRequest(
      request(
        'POST',
        '$reconcile',
        parameters(
          { name: 'subscription', valueString: 'sub-2' },
          { name: 'mode', valueCode: 'repair-and-prune' },
          { name: 'pruneConfirmation', valueUnsignedInt: 1 },
          { name: 'compareJob', valueString: 'never-3' },
        ),
      ),
      deps,
    );
    expect(noDeletes?.status).toBe(409);
    expect(issue(noDeletes?.body).diagnostics).toBe(
      'Subscription sub-2 does not send deletes, so nothing could be pruned',
    );
    // A compare or a repair of a Subscription that sends no deletes is fine.
    const compare = await handleReconcileRequest(
      request('POST', '$reconcile', parameters({ name: 'subscription', valueString: 'sub-2' })),
      deps,
    );
    expect(compare?.status).toBe(202);
    expect(sent).toHaveLength(1);
  });

  it('refuses a Subscription whose status is not active even when an active copy is at hand', async () => {
    setup({});
    const active = { ...activeSubscription('sub-1', '[*]'), sendDeleteMessages: true };
    deps = {
      ...deps,
      subscriptions: {
        getSubscription: async (id) =>
          id === 'sub-1' ? { status: 'requested', active } : { status: 'active' },
      },
    };
    const stale = await handleReconcileRequest(request('POST', '$reconcile', parameters(subscription)), deps);
    expect(stale?.status).toBe(409);
    expect(issue(stale?.body).diagnostics).toBe(
      'Subscription sub-1 is not active (status requested); activate it first',
    );
    const noCopy = await handleReconcileRequest(
      request('POST', '$reconcile', parameters({ name: 'subscription', valueString: 'sub-3' })),
      deps,
    );
    expect(noCopy?.status).toBe(409);
    expect(issue(noCopy?.body).diagnostics).toBe(
      'Subscription sub-3 is not active (status active); activate it first',
    );
    expect(sent).toEqual([]);
  });

  it('refuses source-only criteria and transforms with 422, code not-supported and the expression', async () => {
    setup({ 'sub-1': { status: 'active', criteria: 'Observation?subject.identifier=http://h|1' } });
    deps = { ...deps, compileCriteria: criteriaCompiler({ sourceEvaluation: true }) };
    const criteria = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(criteria).toEqual({
      status: 422,
      headers: { 'content-type': FHIR_JSON },
      body: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'not-supported',
            diagnostics:
              'Subscription sub-1 has criteria only the source server can evaluate (chains, _has, ...): reconcile cannot decide which resources belong in HealthLake; use $trigger-subscription',
            expression: ['Subscription.criteria'],
          },
        ],
      },
    });
    setup({ 'sub-1': { status: 'active', transform: 'mask' } });
    const transform = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(transform?.status).toBe(422);
    expect(body(transform)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-supported',
          diagnostics:
            'Subscription sub-1 has a transform (subscription-transform): HealthLake holds what the transform returned, so reconcile cannot compare it with the source; use $trigger-subscription',
          expression: ['Subscription.extension'],
        },
      ],
    });
    expect(sent).toEqual([]);
  });

  it("refuses types the criteria never match: Subscription under '*', ids and searches of other types", async () => {
    setup({ 'sub-1': { status: 'active' }, 'sub-p': { status: 'active', criteria: '[Patient]' } });
    const patientOnly = { name: 'subscription', valueString: 'sub-p' };
    const cases: [Record<string, unknown>[], string][] = [
      [[subscription, { name: 'resourceType', valueCode: 'Subscription' }], 'resourceType'],
      [[patientOnly, { name: 'resourceId', valueString: 'Observation/1' }], 'resourceId'],
      [[patientOnly, { name: 'searchUrl', valueString: 'Observation?code=x' }], 'searchUrl'],
    ];
    for (const [parameter, kind] of cases) {
      const response = await handleReconcileRequest(
        request('POST', '$reconcile', parameters(...parameter)),
        deps,
      );
      expect(response?.status).toBe(400);
      expect(body(response)).toEqual({
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'invalid',
            diagnostics: `A ${kind} targets a resource type the subscription's criteria never match`,
            expression: [kind],
          },
        ],
      });
    }
    expect(sent).toEqual([]);
    for (const parameter of [
      [subscription, { name: 'resourceType', valueCode: 'Observation' }],
      [patientOnly, { name: 'resourceId', valueString: 'Patient/1' }],
      [patientOnly, { name: 'searchUrl', valueString: 'Patient?name=x' }],
    ]) {
      const response = await handleReconcileRequest(
        request('POST', '$reconcile', parameters(...parameter)),
        deps,
      );
      expect(response?.status).toBe(202);
    }
    expect(sent).toHaveLength(3);
  });

  it('fails the job and answers 503 when the queue refuses the plan message', async () => {
    class QueueDown extends Error {
      public override readonly name = 'QueueDown';
    }
    setup({ 'sub-1': { status: 'active' } });
    const logger = spyLogger();
    const jobId = fixedJobId();
    deps = {
      ...deps,
      logger,
      newJobId: () => jobId,
      now: () => new Date(NOW),
      queue: { send: async () => Promise.reject(new QueueDown('secret content')) },
    };
    const refused = await handleReconcileRequest(
      request('POST', '$reconcile', parameters(subscription)),
      deps,
    );
    expect(refused).toEqual({
      status: 503,
      headers: { 'content-type': FHIR_JSON },
      body: {
        resourceType: 'OperationOutcome',
        issue: [
          { severity: 'error', code: 'transient', diagnostics: 'Could not start the reconcile; retry later' },
        ],
      },
    });
    const job = await harness.jobs.get(jobId);
    expect(job?.state).toBe('failed');
    expect(job?.reason).toBe('Could not enqueue the reconcile work');
    expect(job?.endedAt).toBe(NOW);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith('Reconcile enqueue failed', { jobId, error: 'QueueDown' });
    expect(logger.info).not.toHaveBeenCalled();

    // Without a logger, and with a thrown value that is no Error, the answer is the same.
    const bare = fixedJobId();
    const { logger: _logger, ...rest } = deps;
    deps = { ...rest, newJobId: () => bare, queue: { send: async () => Promise.reject(undefined) } };
    expect(
      (await handleReconcileRequest(request('POST', '$reconcile', parameters(subscription)), deps))?.status,
    ).toBe(503);
    expect((await harness.jobs.get(bare))?.state).toBe('failed');
    const logged = fixedJobId();
    deps = { ...deps, logger, newJobId: () => logged };
    expect(
      (await handleReconcileRequest(request('POST', '$reconcile', parameters(subscription)), deps))?.status,
    ).toBe(503);
    expect(logger.error).toHaveBeenLastCalledWith('Reconcile enqueue failed', {
      jobId: logged,
      error: undefined,
    });
  });

  it('logs an unexpected failure by its name only and answers 500; an OperationOutcomeError is not logged', async () => {
    class StoreDown extends Error {
      public override readonly name = 'StoreDown';
    }
    setup({ 'sub-1': { status: 'active' } });
    const logger = spyLogger();
    let failure: unknown = new StoreDown('Patient/123 secret');
    deps = {
      ...deps,
      logger,
      jobs: {
        ...harness.jobs,
        get: async () => Promise.reject(failure),
      } as unknown as ReconcileRouteDeps['jobs'],
    };
    const failed = await handleReconcileRequest(request('GET', '$reconcile-job/job-1'), deps);
    expect(failed).toEqual({
      status: 500,
      headers: { 'content-type': FHIR_JSON },
      body: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'exception', diagnostics: 'Internal server error' }],
      },
    });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith('Reconcile request failed', {
      requestId: 'r1',
      error: 'StoreDown',
    });

    failure = undefined;
    expect((await handleReconcileRequest(request('GET', '$reconcile-job/job-1'), deps))?.status).toBe(500);
    expect(logger.error).toHaveBeenLastCalledWith('Reconcile request failed', {
      requestId: 'r1',
      error: undefined,
    });

    const { logger: _logger, ...rest } = deps;
    expect((await handleReconcileRequest(request('GET', '$reconcile-job/job-1'), rest))?.status).toBe(500);

    logger.error.mockClear();
    setup({ 'sub-1': { status: 'active' } });
    deps = { ...deps, logger };
    expect((await handleReconcileRequest(request('GET', '$reconcile-job/never-4'), deps))?.status).toBe(404);
    expect(logger.error).not.toHaveBeenCalled();
  });
});
