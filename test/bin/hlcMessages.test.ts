import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { USAGE } from '../../bin/usage.js';
import { deadLetterInput } from '../../shared/messages/deadLetter.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  TEST_CREDENTIALS,
  type AwsStandins,
  type ConnectorResources,
} from '../../local/standins/aws.js';

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly body?: Record<string, unknown>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const capture = (env: NodeJS.ProcessEnv = {}, extra: Partial<CliIo> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    isTTY: false,
    env,
    ...extra,
  };
  return { io, out, err, progress, all: () => [...out, ...err].join('\n') };
};

const outcome = (code: string, diagnostics: string, severity = 'error') => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity, code, diagnostics }],
});

/** A port nothing listens on: one the OS gave out and took back. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

describe('CLI: hlc messages and defaults', () => {
  let server: Server;
  let api: string;
  const requests: Recorded[] = [];

  beforeAll(async () => {
    // The ingest API and local mode's /_local/*: `admin` is the admin token, `write` a producer's.
    server = createServer((request, response) => {
      void (async () => {
        const text = await readBody(request);
        const url = request.url ?? '/';
        const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
        requests.push({ method: request.method ?? '', url, ...(body ? { body } : {}) });
        const reply = (status: number, json?: unknown) => {
          response.writeHead(status, { 'content-type': 'application/fhir+json' });
          response.end(json === undefined ? undefined : JSON.stringify(json));
        };
        const token = request.headers.authorization?.replace(/^Bearer /, '');
        if (token !== 'admin' && token !== 'write') {
          return reply(401, outcome('login', 'The bearer token is not valid'));
        }
        if (token === 'write' && !/^\/(?:Patient|Observation)\//.test(url)) {
          return reply(403, outcome('forbidden', 'This request needs the admin scope'));
        }
        if (url === '/Subscription/gone' && request.method === 'DELETE') {
          return reply(
            200,
            outcome('informational', 'Subscription/gone was already deleted; nothing changed', 'information'),
          );
        }
        if (url === '/Subscription/live' && request.method === 'DELETE') return reply(204);
        if (url.endsWith('/$trigger-subscription')) {
          return reply(202, {
            resourceType: 'Parameters',
            parameter: [{ name: 'jobId', valueString: 'j1' }],
          });
        }
        if (url.endsWith('/$reset-version')) {
          return reply(200, outcome('informational', 'Reset', 'information'));
        }
        if (request.method === 'POST' && url === '/Subscription') return reply(201, { ...body, id: 'new' });
        if (request.method === 'PUT') return reply(201, body);
        return reply(404, outcome('not-found', `Subscription/${url.split('/').pop()} is not known`));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  beforeEach(() => {
    requests.length = 0;
  });

  describe('errors say what happened, last, without the usage', () => {
    it('names a refused connection and its origin', async () => {
      const stopped = `http://127.0.0.1:${await closedPort()}`;
      const run = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['subscriptions', 'list', '--api', stopped], run.io)).toBe(1);
      expect(run.err.at(-1)).toBe(
        `error: ${stopped}: connection refused (nothing listens there) (is the API running? local mode: npm start; a deployed stack: --stack or --api)`,
      );
      expect(run.all()).not.toContain('fetch failed');
      expect(run.all()).not.toContain('usage: hlc');
    });

    it('says why local mode could not name the queues: stopped, wrong token, write-scope token', async () => {
      const stopped = `http://127.0.0.1:${await closedPort()}`;
      const cases: [string, string, string][] = [
        [stopped, 'admin', `${stopped}: connection refused (nothing listens there)`],
        [api, 'wrong', `local mode at ${api} answered 401: the token was not accepted`],
        [api, 'write', `local mode at ${api} answered 403: the token has the write scope`],
      ];
      for (const [url, token, cause] of cases) {
        const run = capture({ HLC_TOKEN: token });
        expect(await runCli(['status', '--api', url], run.io)).toBe(2);
        expect(run.err.at(-1)).toContain(cause);
        expect(run.err.join('\n')).toContain('--stack HealthLakeConnector-{connectorId}');
        expect(run.all()).not.toContain('usage: hlc');
      }
    });

    it('explains 401 and 403 answers of the API', async () => {
      const wrong = capture({ HLC_TOKEN: 'wrong' });
      expect(await runCli(['subscriptions', 'list', '--api', api], wrong.io)).toBe(1);
      expect(wrong.err.at(-1)).toBe(
        'HTTP 401: login: The bearer token is not valid; the API did not accept the credentials: check --token / HLC_TOKEN (or --iam for an IAM-mode API)',
      );
      const write = capture({ HLC_TOKEN: 'write' });
      expect(await runCli(['backfill', 'cancel', 'j1', '--api', api], write.io)).toBe(1);
      expect(write.err.at(-1)).toBe('HTTP 403: forbidden: This request needs the admin scope');
    });

    it('prints the usage for --help and an unknown command only, the error last', async () => {
      const unknown = capture();
      expect(await runCli(['frobnicate'], unknown.io)).toBe(2);
      expect(unknown.err).toEqual([USAGE, 'unknown command "frobnicate"']);
      const missing = capture();
      expect(await runCli(['backfill', 'watch'], missing.io)).toBe(2);
      expect(missing.err).toEqual(['backfill watch needs a job id']);
      const option = capture();
      expect(await runCli(['status', '--frobnicate'], option.io)).toBe(2);
      expect(option.err).toHaveLength(1);
      expect(option.err[0]).toContain("'--frobnicate'");
      const help = capture();
      expect(await runCli(['--help'], help.io)).toBe(0);
      expect(help.out).toEqual([USAGE]);
    });
  });

  describe('defaults the API has', () => {
    it('backfill start with neither --search-url nor --resource-id asks for everything', async () => {
      const run = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['backfill', 'start', 'sub-1', '--api', api], run.io)).toBe(0);
      expect(requests).toEqual([
        {
          method: 'POST',
          url: '/Subscription/sub-1/$trigger-subscription',
          body: { resourceType: 'Parameters', parameter: [] },
        },
      ]);
      expect(run.out.join('\n')).toContain('backfill job j1 accepted');
    });

    it('subscriptions create without --endpoint leaves the endpoint to the API (the primary data store)', async () => {
      const run = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['subscriptions', 'create', '--criteria', '[Patient]', '--api', api], run.io)).toBe(
        0,
      );
      const [created] = requests;
      expect(created).toMatchObject({ method: 'POST', url: '/Subscription' });
      expect(created?.body?.channel).toMatchObject({ type: 'rest-hook' });
      expect(created?.body?.channel).not.toHaveProperty('endpoint');
    });
  });

  describe('smaller surprises', () => {
    it('subscriptions delete says when the Subscription was already deleted, and fails for an unknown one', async () => {
      const live = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['subscriptions', 'delete', 'live', '--api', api], live.io)).toBe(0);
      expect(live.out).toEqual(['deleted Subscription/live']);
      const gone = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['subscriptions', 'delete', 'gone', '--api', api], gone.io)).toBe(0);
      expect(gone.out).toEqual(['informational: Subscription/gone was already deleted; nothing changed']);
      const never = capture({ HLC_TOKEN: 'admin' });
      expect(await runCli(['subscriptions', 'delete', 'never', '--api', api], never.io)).toBe(1);
      expect(never.out).toEqual([]);
      expect(never.err).toEqual(['HTTP 404: not-found: Subscription/never is not known']);
    });

    it('ledger reset of a whole type asks first; --yes answers; one resource does not ask', async () => {
      const env = { HLC_TOKEN: 'admin' };
      const unattended = capture(env);
      expect(await runCli(['ledger', 'reset', 'Patient', '--api', api], unattended.io)).toBe(2);
      expect(unattended.err.at(-1)).toMatch(/every Patient resource\? .* Pass --yes to confirm\.$/);
      const questions: string[] = [];
      const no = capture(env, { confirm: async (question) => (questions.push(question), false) });
      expect(await runCli(['ledger', 'reset', 'Patient/', '--api', api], no.io)).toBe(1);
      expect(no.err.at(-1)).toBe('ledger reset Patient/: not confirmed; nothing was changed');
      expect(questions).toEqual([
        'Reset the version ledger of every Patient resource? The next write of each is delivered again.',
      ]);
      expect(requests).toEqual([]);
      const yes = capture(env, { confirm: async () => true });
      expect(await runCli(['ledger', 'reset', 'Patient', '--api', api], yes.io)).toBe(0);
      expect(await runCli(['ledger', 'reset', 'Observation', '--yes', '--api', api], capture(env).io)).toBe(
        0,
      );
      expect(await runCli(['ledger', 'reset', 'Patient/p1', '--api', api], capture(env).io)).toBe(0);
      expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'POST /Patient/$reset-version',
        'POST /Observation/$reset-version',
        'POST /Patient/p1/$reset-version',
      ]);
    });

    it('sync progress names the types it has sent and the one it is sending', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'hlc-progress-'));
      try {
        const lines = [
          { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } },
          { resourceType: 'Patient', id: 'p1' },
          { resourceType: 'Patient', id: 'p2' },
        ];
        await writeFile(join(folder, 'all.ndjson'), lines.map((line) => JSON.stringify(line)).join('\n'));
        const progress: string[] = [];
        const run = capture({ HLC_TOKEN: 'write' }, { isTTY: true, progress: (line) => progress.push(line) });
        const args = ['sync', folder, '--type', 'Patient,Observation', '--parallel', '1', '--api', api];
        expect(await runCli(args, run.io)).toBe(0);
        expect(progress.filter(Boolean)).toEqual([
          '1 requests (Patient 1 - now Patient)',
          '2 requests (Patient 2 - now Patient)',
          '3 requests (Patient 2, Observation 1 - now Observation)',
        ]);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
  });

  describe('hlc dlq list', () => {
    let aws: AwsStandins;
    let resources: ConnectorResources;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

    beforeAll(async () => {
      // The CLI's SQS client takes the SDK's default credentials; the stand-in accepts any.
      process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
      aws = await startAwsStandins();
      resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'cli-msg' } });
      const sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
      await sqs.send(
        new SendMessageCommand(
          deadLetterInput({
            queueUrl: resources.deliveryDlqUrl,
            body: JSON.stringify({ schema: 'x', resourceType: 'Patient', id: 'p1' }),
            groupId: 'Patient/p1',
            kind: 'terminal',
            cause: { reason: 'http-status', status: 422, attempt: 3, at: '2026-01-01T00:00:00Z' },
            summary: {
              messageId: 'm1',
              resourceType: 'Patient',
              id: 'p1',
              versionId: '2',
              operation: 'upsert',
            },
          }),
        ),
      );
      sqs.destroy();
    });

    afterAll(async () => {
      await aws?.stop();
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    });

    it('shows the recorded delivery attempt, which listing again does not change', async () => {
      const env = {
        HLC_DLQ_URL: resources.deliveryDlqUrl,
        HLC_SQS_ENDPOINT: aws.sqsEndpoint,
      };
      const first = capture(env);
      expect(await runCli(['dlq', 'list'], first.io)).toBe(0);
      const second = capture(env);
      expect(await runCli(['dlq', 'list'], second.io)).toBe(0);
      expect(first.out[1]).toContain('upsert Patient/p1 v2');
      expect(first.out[1]).toContain('attempts 3');
      expect(first.out[1]).not.toContain('receives');
      expect(second.out).toEqual(first.out);
    });
  });
});
