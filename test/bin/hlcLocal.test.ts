import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { api, waitFor } from '../e2e/e2eHelpers.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env: {} };
  return { io, out, err, text: () => out.join('\n'), errors: () => err.join('\n') };
};

describe('CLI against local mode: the oldest message age and the HealthLake stand-in', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({ apiPort: 0, logLevel: 'warn', progress: 'off' });
  });

  afterAll(async () => {
    await connector?.stop();
  });

  const hlc = async (...args: string[]) => {
    const run = capture();
    const code = await runCli([...args, '--api', connector.apiUrl, '--token', connector.token], run.io);
    return { code, ...run };
  };

  it('hlc status reports the age of the oldest message waiting in the delivery queue while delivery is paused', async () => {
    expect((await hlc('delivery', 'pause')).code).toBe(0);
    for (const id of ['waiting-1', 'waiting-2']) {
      expect((await api(connector, 'PUT', `Patient/${id}`, { resourceType: 'Patient', id })).status).toBe(
        200,
      );
    }
    // No poller holds them: before, status said "n/a (local poller)" here.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const status = await hlc('status');
    expect(status.code).toBe(0);
    const [, seconds] =
      /^oldest delivery message: (\d+)s \(local delivery queue\)$/m.exec(status.text()) ?? [];
    expect(Number(seconds)).toBeGreaterThanOrEqual(2);
    const json = JSON.parse((await hlc('status', '--json')).text()) as {
      stats: { oldestMessageAgeSeconds?: number };
    };
    expect(json.stats.oldestMessageAgeSeconds).toBeGreaterThanOrEqual(2);

    expect((await hlc('delivery', 'resume')).code).toBe(0);
    await waitFor(() => connector.healthlake?.current('Patient', 'waiting-2') !== undefined, {
      message: 'the waiting writes delivered after resume',
    });
    await waitFor(
      async () => (await hlc('status')).text().includes('oldest delivery message: none waiting'),
      {
        message: 'status: nothing waits once delivered',
      },
    );
  }, 40_000);

  it('hlc local healthlake list|get shows what reached the HealthLake stand-in', async () => {
    expect(
      (await api(connector, 'PUT', 'Patient/seen', { resourceType: 'Patient', id: 'seen', active: true }))
        .status,
    ).toBe(200);
    await waitFor(() => connector.healthlake?.current('Patient', 'seen') !== undefined, {
      message: 'Patient/seen delivered',
    });

    const summary = await hlc('local', 'healthlake', 'list');
    expect(summary.code).toBe(0);
    expect(summary.text()).toMatch(
      /^HealthLake stand-in http:\/\/127\.0\.0\.1:\d+\/datastore\/[0-9a-f]{32}\/r4\/: \d+ resources$/m,
    );
    expect(summary.text()).toMatch(/^ {2}Patient\s+\d+$/m);
    expect(summary.text()).toMatch(/PUT {4}Patient\/seen {2}20[01] {2}\(version 1\)/);

    const listed = await hlc('local', 'healthlake', 'list', 'Patient');
    expect(listed.code).toBe(0);
    expect(listed.text()).toMatch(/^ {2}seen {2}version 1 {2}\d{4}-/m);

    const got = await hlc('local', 'healthlake', 'get', 'Patient/seen', '--json');
    expect(got.code).toBe(0);
    const body = JSON.parse(got.text()) as { resource: { id: string; active: boolean }; versions: unknown[] };
    expect(body.resource).toMatchObject({ resourceType: 'Patient', id: 'seen', active: true });
    expect(body.versions).toEqual([{ versionId: '1', lastUpdated: expect.any(String), deleted: false }]);

    const missing = await hlc('local', 'healthlake', 'get', 'Patient/never-written');
    expect(missing.code).toBe(1);
    expect(missing.errors()).toBe('HTTP 404: not-found: Resource Patient/never-written is not known');
  }, 30_000);

  it('checks types and ids before they become a path, in the CLI and in the route', async () => {
    for (const target of ['Patient/../config', 'Patient/a/b', 'patient/1', 'Patient/' + 'x'.repeat(65)]) {
      const refused = await hlc('local', 'healthlake', 'get', target);
      expect(refused.code).toBe(2);
    }
    expect((await hlc('local', 'healthlake', 'list', '../stats')).code).toBe(2);
    const route = (path: string) =>
      fetch(`${connector.apiUrl}/_local/healthlake/${path}`, {
        headers: { authorization: `Bearer ${connector.token}` },
      });
    const notAType = await route('NotAType');
    expect(notAType.status).toBe(400);
    expect(await notAType.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ expression: ['type'] }],
    });
    expect((await route('Patient/bad%20id')).status).toBe(400);
    expect((await route('Patient/%E0%A4%A')).status).toBe(400);
  });

  it('is guarded like every /_local route: no token 401, the producer (write) token 403', async () => {
    const url = `${connector.apiUrl}/_local/healthlake/Patient/seen`;
    expect((await fetch(url)).status).toBe(401);
    const producer = await fetch(url, { headers: { authorization: `Bearer ${connector.writeToken}` } });
    expect(producer.status).toBe(403);
    expect(JSON.stringify(await producer.json())).not.toContain('"active"');
    const run = capture();
    const code = await runCli(
      ['local', 'healthlake', 'list', '--api', connector.apiUrl, '--token', connector.writeToken],
      run.io,
    );
    expect(code).toBe(1);
    expect(run.errors()).toContain('HTTP 403: /_local/* needs the development (admin) token');
  });
});
