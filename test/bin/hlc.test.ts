import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { hashToken } from '../../shared/ingest/auth/hashToken.js';
import { parseTokenList } from '../../shared/ingest/auth/parseTokenList.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  TEST_CREDENTIALS,
  type AwsStandins,
  type ConnectorResources,
} from '../../local/standins/aws.js';

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body?: Record<string, unknown>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const capture = (env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env };
  return { io, out, err, text: () => out.join('\n') };
};

describe('CLI: hlc', () => {
  let server: Server;
  let api: string;
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let folder: string;
  const requests: Recorded[] = [];
  let throttleOnce = true;
  let jobPolls = 0;

  beforeAll(async () => {
    aws = await startAwsStandins();
    resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'cli-test' } });
    server = createServer((request, response) => {
      void (async () => {
        const text = await readBody(request);
        const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
        const url = request.url ?? '/';
        requests.push({
          method: request.method ?? '',
          url,
          authorization: request.headers.authorization,
          body,
        });
        const reply = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
          response.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
          response.end(json === undefined ? undefined : JSON.stringify(json));
        };
        if (url.startsWith('/_local/') && request.headers.authorization !== 'Bearer tok-admin') {
          return reply(401, { resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
        }
        if (url === '/_local/config') {
          return reply(200, {
            apiUrl: api,
            region: 'us-east-1',
            sqsEndpoint: aws.sqsEndpoint,
            credentials: TEST_CREDENTIALS,
            deliveryQueueUrl: resources.deliveryQueueUrl,
            deliveryDlqUrl: resources.deliveryDlqUrl,
            backfillQueueUrl: resources.backfillQueueUrl,
            sqlQueueUrl: resources.sqlQueueUrl,
            sqlDlqUrl: resources.sqlDlqUrl,
            healthLakeEndpoint: 'http://127.0.0.1:1/r4/',
          });
        }
        if (url === '/_local/stats') {
          return reply(200, {
            startedAt: new Date().toISOString(),
            uptimeSeconds: 5,
            ingested: 7,
            ingestErrors: 0,
            delivered: 6,
            retried: 1,
            deadLettered: 0,
            backfillPages: 0,
            writesUnmatched: 2,
            sql: { written: 4, deleted: 1, unchanged: 0, retried: 2, deadLettered: 1 },
            deliveredPerMinute: [6],
          });
        }
        if (url === '/Observation/throttled' && throttleOnce) {
          throttleOnce = false;
          return reply(429, { resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
        }
        if (url === '/Observation/bad') {
          return reply(400, {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Observation.status is required' }],
          });
        }
        if (url.startsWith('/Subscription/sub-1/$trigger-subscription')) {
          return reply(
            202,
            { resourceType: 'Parameters', parameter: [{ name: 'jobId', valueString: 'job-9' }] },
            {
              'content-location': `${api}/$backfill-job/job-9`,
            },
          );
        }
        if (url === '/$backfill-job/job-9' && request.method === 'GET') {
          jobPolls += 1;
          const state = jobPolls >= 2 ? 'completed' : 'running';
          return reply(200, {
            jobId: 'job-9',
            state,
            counts: { read: 10 * jobPolls, matched: 5, enqueued: 5, skipped: 0, failed: 0 },
            streams: [{}],
            streamsDone: state === 'completed' ? 1 : 0,
          });
        }
        if (url === '/Patient/p1/$reset-version' && request.method === 'POST') {
          return reply(200, {
            resourceType: 'OperationOutcome',
            issue: [
              { severity: 'information', code: 'informational', diagnostics: 'Reset Patient/p1: 1 entry' },
            ],
          });
        }
        if (url === '/$backfill-job/job-9' && request.method === 'DELETE') {
          return reply(200, {
            resourceType: 'Parameters',
            parameter: [{ name: 'state', valueCode: 'cancelled' }],
          });
        }
        if (url === '/Subscription' && request.method === 'GET') {
          return reply(200, {
            resourceType: 'Bundle',
            type: 'searchset',
            entry: [
              {
                resource: {
                  resourceType: 'Subscription',
                  id: 'sub-1',
                  status: 'active',
                  criteria: '[*]',
                  channel: { endpoint: 'http://h/r4/' },
                },
              },
              {
                resource: {
                  resourceType: 'Subscription',
                  id: 'sub-full',
                  status: 'active',
                  criteria: '[Patient]',
                  channel: {
                    endpoint: 'http://h/r4/',
                    extension: [
                      {
                        url: 'http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages',
                        valueBoolean: true,
                      },
                      {
                        url: 'http://hapifhir.io/fhir/StructureDefinition/subscription-resthook-deliver-latest-version',
                        valueBoolean: true,
                      },
                    ],
                  },
                },
              },
            ],
          });
        }
        if (url === '/$explain-subscriptions' && request.method === 'POST') {
          const part = (id: string, matched: boolean, extra: Record<string, unknown>[] = []) => ({
            name: 'subscription',
            part: [
              { name: 'id', valueId: id },
              { name: 'criteria', valueString: `Observation?${id}` },
              { name: 'endpoint', valueUrl: 'http://h/r4/' },
              { name: 'matched', valueBoolean: matched },
              ...extra,
            ],
          });
          return reply(200, {
            resourceType: 'Parameters',
            parameter: [
              part('final', true),
              part('coded', false, [{ name: 'failed', valueString: 'code' }]),
              part('chained', true, [{ name: 'decidedBySource', valueString: 'subject.identifier' }]),
            ],
          });
        }
        if (request.method === 'PUT') return reply(201, body);
        if (request.method === 'POST' && url === '/') {
          return reply(200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] });
        }
        if (request.method === 'POST') return reply(201, { ...body, id: 'new' });
        return reply(404, { resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    folder = await mkdtemp(join(tmpdir(), 'hlc-send-'));
    await mkdir(join(folder, 'nested'));
    await writeFile(join(folder, 'patient.json'), JSON.stringify({ resourceType: 'Patient', id: 'p1' }));
    await writeFile(join(folder, 'noid.json'), JSON.stringify({ resourceType: 'Patient' }));
    await writeFile(
      join(folder, 'nested', 'tx.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }],
      }),
    );
    await writeFile(
      join(folder, 'obs.ndjson'),
      `${JSON.stringify({ resourceType: 'Observation', id: 'throttled' })}\n${JSON.stringify({ resourceType: 'Observation', id: 'bad' })}\n`,
    );
    await writeFile(join(folder, 'README.txt'), 'ignored');
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await aws?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  beforeEach(() => {
    requests.length = 0;
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const run = capture();
    expect(await runCli(['frobnicate'], run.io)).toBe(2);
    expect(run.err.join('\n')).toContain('unknown command');
  });

  it('sends files, folders and NDJSON with PUT, POST and Bundle requests, retrying throttling', async () => {
    const run = capture({ HLC_TOKEN: 'tok-1' });
    const code = await runCli(['send', folder, '--api', api, '--parallel', '2'], run.io);
    expect(code).toBe(1);
    const calls = requests.map((request) => `${request.method} ${request.url}`).sort();
    expect(calls).toEqual([
      'POST /',
      'POST /Patient',
      'PUT /Observation/bad',
      'PUT /Observation/throttled',
      'PUT /Observation/throttled',
      'PUT /Patient/p1',
    ]);
    expect(requests.every((request) => request.authorization === 'Bearer tok-1')).toBe(true);
    expect(run.text()).toContain('4 ok, 1 failed');
    expect(run.text()).toContain('obs.ndjson:2: HTTP 400 invalid: Observation.status is required');
  });

  it('shows queue depths and local delivery counts, discovering the queues from local mode', async () => {
    const sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deliveryQueueUrl,
        MessageBody: '{}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd1',
      }),
    );
    sqs.destroy();
    const run = capture({ HLC_TOKEN: 'tok-admin' });
    expect(await runCli(['status', '--api', api], run.io)).toBe(0);
    expect(run.text()).toMatch(/delivery\s+1\s+0\s+0/);
    // The SQL target's queue, its DLQ and the writer's outcomes (local mode's counters).
    expect(run.text()).toMatch(/\nsql\s+0\s+0\s+0/);
    expect(run.text()).toMatch(/\nsql-dlq\s+0\s+0\s+0/);
    expect(run.text()).toContain(
      'SQL target (since start): written 4, deleted 1, unchanged 0, retried 2, dead-lettered 1 - read their causes',
    );
    expect(run.text()).toContain('ingested 7, delivered 6, retried 1');
    expect(run.text()).toContain(
      'writes matching no active Subscription (since start): 2 - recorded but never delivered',
    );
    // The local admin endpoints need the (admin) token the CLI is given.
    expect(
      requests
        .filter((recorded) => recorded.url.startsWith('/_local/'))
        .map((recorded) => recorded.authorization),
    ).toEqual(expect.arrayContaining(['Bearer tok-admin']));
  });

  it('explains how to name the DLQ when none can be found', async () => {
    const run = capture();
    expect(await runCli(['dlq', 'list', '--api', 'http://127.0.0.1:1'], run.io)).toBe(2);
    expect(run.err.join('\n')).toContain('HLC_DLQ_URL');
  });

  it('creates a subscription with the HAPI channel extensions and lists subscriptions', async () => {
    const run = capture();
    const code = await runCli(
      [
        'subscriptions',
        'create',
        '--api',
        api,
        '--id',
        'sub-2',
        '--criteria',
        '[Patient]',
        '--endpoint',
        'http://h/r4/',
      ],
      run.io,
    );
    expect(code).toBe(0);
    const put = requests.find((request) => request.method === 'PUT');
    expect(put?.url).toBe('/Subscription/sub-2');
    expect(put?.body).toMatchObject({
      resourceType: 'Subscription',
      status: 'requested',
      criteria: '[Patient]',
    });
    expect(JSON.stringify(put?.body)).toContain('subscription-send-delete-messages');
    expect(put?.body).not.toHaveProperty('extension');
    const list = capture();
    expect(await runCli(['subscriptions', 'list', '--api', api], list.io)).toBe(0);
    expect(list.text()).toContain('sub-1  active  [*]');
    // A Subscription without the delete and latest-version extensions is flagged, with what it costs.
    const [withoutThem, withThem] = list.out.filter((line) => line.startsWith('sub-'));
    expect(withoutThem).toContain(
      'warning: without subscription-send-delete-messages (deletes not replicated), subscription-resthook-deliver-latest-version (every version written, not only the latest)',
    );
    expect(withThem).toBe('sub-full  active  [Patient]  http://h/r4/');
  });

  it('explains which Subscriptions a resource file would match, sending the resource and writing nothing', async () => {
    const file = join(folder, 'explain.json');
    await writeFile(file, JSON.stringify({ resourceType: 'Observation', id: 'o1', status: 'final' }));
    const run = capture();
    expect(await runCli(['subscriptions', 'explain', file, '--api', api], run.io)).toBe(0);
    const post = requests.find((request) => request.url === '/$explain-subscriptions');
    expect(post?.body).toEqual({ resourceType: 'Observation', id: 'o1', status: 'final' });
    expect(run.out).toEqual([
      '3 active subscription(s); nothing was written',
      'final  Observation?final  matches',
      'coded  Observation?coded  does not match: code',
      'chained  Observation?chained  matches in memory; the source server decides subject.identifier',
    ]);
    const missing = capture();
    expect(await runCli(['subscriptions', 'explain', '--api', api], missing.io)).toBe(2);
  });

  it('creates a payload search subscription with --payload-search on Subscription.extension', async () => {
    const run = capture();
    const criteria = 'Observation?_id=${matched_resource_id}&_include=Observation:subject';
    const args = ['subscriptions', 'create', '--api', api, '--id', 'sub-3', '--criteria', '[Observation]'];
    expect(await runCli([...args, '--endpoint', 'http://h/r4/', '--payload-search', criteria], run.io)).toBe(
      0,
    );
    const put = requests.find((request) => request.method === 'PUT' && request.url === '/Subscription/sub-3');
    expect(put?.body).toMatchObject({
      extension: [
        {
          url: 'http://hapifhir.io/fhir/StructureDefinition/subscription-payload-search-criteria',
          valueString: criteria,
        },
      ],
    });
  });

  it('starts a backfill and watches it to completion', async () => {
    const run = capture();
    const code = await runCli(
      [
        'backfill',
        'start',
        'sub-1',
        '--api',
        api,
        '--search-url',
        'Patient?_count=5',
        '--watch',
        '--interval',
        '1',
      ],
      run.io,
    );
    expect(code).toBe(0);
    const trigger = requests.find((request) => request.url.includes('$trigger-subscription'));
    expect(trigger?.body).toEqual({
      resourceType: 'Parameters',
      parameter: [{ name: 'searchUrl', valueString: 'Patient?_count=5' }],
    });
    expect(run.text()).toContain('backfill job job-9 accepted');
    expect(run.text()).toContain('job-9  completed  read 20');
  });

  it("resets a resource's version state with ledger reset, and refuses a missing target", async () => {
    const run = capture();
    expect(await runCli(['ledger', 'reset', 'Patient/p1', '--api', api], run.io)).toBe(0);
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /Patient/p1/$reset-version',
    ]);
    expect(run.text()).toContain('Reset Patient/p1: 1 entry');
    expect(await runCli(['ledger', 'reset', '--api', api], capture().io)).toBe(2);
  });

  it('cancels a backfill job by id', async () => {
    const run = capture();
    expect(await runCli(['backfill', 'cancel', 'job-9', '--api', api], run.io)).toBe(0);
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'DELETE /$backfill-job/job-9',
    ]);
    expect(run.text()).toContain('cancel requested for job job-9');
  });

  it('reads oldest message age and delivery counts from CloudWatch for a deployed stack', async () => {
    const calls: { authorization?: string; body: string }[] = [];
    const cloudWatch = createServer((request, response) => {
      void readBody(request).then((body) => {
        calls.push({ authorization: request.headers.authorization, body });
        const params = new URLSearchParams(body);
        const value = params.get('MetricName') === 'ApproximateAgeOfOldestMessage' ? '95.0' : '7.0';
        const statistic = params.get('Statistics.member.1') ?? 'Sum';
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints><member>` +
            `<Timestamp>2026-01-01T00:00:00Z</Timestamp><${statistic}>${value}</${statistic}></member>` +
            `</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => cloudWatch.listen(0, '127.0.0.1', resolve));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    try {
      const run = capture({
        HLC_DELIVERY_QUEUE_URL: resources.deliveryQueueUrl,
        HLC_DLQ_URL: resources.deliveryDlqUrl,
        HLC_SQL_QUEUE_URL: resources.sqlQueueUrl,
        HLC_SQL_DLQ_URL: resources.sqlDlqUrl,
        HLC_SQS_ENDPOINT: aws.sqsEndpoint,
        HLC_CLOUDWATCH_ENDPOINT: `http://127.0.0.1:${(cloudWatch.address() as AddressInfo).port}/`,
        HLC_CONNECTOR_ID: 'clinic-a',
        HLC_DATA_STORES: 'store-a,store-b',
      });
      expect(await runCli(['status', '--api', 'http://127.0.0.1:1'], run.io)).toBe(0);
      // Per data store: delivered, throttled, access denied (the DataStore dimension of each count).
      expect(run.text()).toContain('store-a                                    7          7              7');
      for (const store of ['store-a', 'store-b']) {
        for (const metric of ['Delivered', 'Throttled', 'AccessDenied']) {
          expect(
            calls.some(
              (call) =>
                call.body.includes(`MetricName=${metric}`) &&
                call.body.includes('Dimensions.member.3.Name=DataStore') &&
                call.body.includes(`Dimensions.member.3.Value=${store}`),
            ),
          ).toBe(true);
        }
      }
      expect(run.text()).toContain('oldest message in delivery: 95s (CloudWatch');
      expect(run.text()).toContain('Delivered 7');
      // The SQL target's queue age and the SQL writer's counts, when its queues are named.
      expect(run.text()).toContain('oldest message in sql: 95s (CloudWatch');
      expect(run.text()).toContain('SqlWritesDeadLettered 7');
      expect(run.text()).toContain('writes matching no active Subscription (last hour, CloudWatch): 7');
      expect(
        calls.some(
          (call) =>
            call.body.includes('MetricName=WritesUnmatched') &&
            call.body.includes('Dimensions.member.1.Value=clinic-a') &&
            call.body.includes('Dimensions.member.2.Value=ingest'),
        ),
      ).toBe(true);
      expect(calls.every((call) => call.authorization?.startsWith('AWS4-HMAC-SHA256 Credential='))).toBe(
        true,
      );
      expect(calls.some((call) => call.body.includes('QueueName'))).toBe(true);
      // Delivery counts are read for this connector only (its `connector` dimension).
      const countQueries = calls
        .map((call) => new URLSearchParams(call.body))
        .filter((params) => params.get('Namespace') === 'HealthLakeConnector');
      expect(countQueries.length).toBeGreaterThan(0);
      for (const params of countQueries) {
        expect(params.get('Dimensions.member.1.Name')).toBe('connector');
        expect(params.get('Dimensions.member.1.Value')).toBe('clinic-a');
      }
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      await new Promise((resolve) => cloudWatch.close(resolve));
    }
  });

  it('creates a scoped token and the secret entry that holds only its hash', async () => {
    const run = capture();
    expect(
      await runCli(['token', 'create', '--name', 'hapi-prod', '--scope', 'write', '--json'], run.io),
    ).toBe(0);
    const created = JSON.parse(run.text()) as { token: string; entry: Record<string, string> };
    expect(created.token).toMatch(/^[0-9a-f]{64}$/);
    expect(created.entry).toEqual({ name: 'hapi-prod', scope: 'write', sha256: hashToken(created.token) });
    expect(parseTokenList({ tokens: [created.entry] })).toEqual([
      { name: 'hapi-prod', scope: 'write', sha256: hashToken(created.token) },
    ]);
    const bad = capture();
    expect(await runCli(['token', 'create', '--name', 'x', '--scope', 'root'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toContain('--scope must be write or admin');
  });
});
