import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { exposureWarning, isLoopbackHost } from '../../local/exposureWarning.js';
import { readyBanner } from '../../local/banner.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { waitFor } from './e2eHelpers.js';

/** One request with a given bearer token (or none). */
const call = async (
  connector: LocalConnector,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) => {
  const response = await fetch(`${connector.apiUrl}/${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
};

const codeOf = (body: unknown) =>
  (body as { issue?: Array<{ code?: string }> } | undefined)?.issue?.[0]?.code;

describe('Local mode trust: scoped tokens, a deployment-owned Subscription, visible silence', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'warn',
      progress: 'off',
      autoSubscriptionCriteria: '[Patient]',
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
  });

  afterAll(async () => {
    await connector?.stop();
  });

  it('prints an admin development token and a write-only producer token', () => {
    const banner = readyBanner(connector);
    expect(banner).toContain(`development token      ${connector.token}  (admin`);
    expect(banner).toContain(`producer token         ${connector.writeToken}  (write only`);
    expect(banner).toContain(`export HLC_API_URL=${connector.apiUrl} HLC_TOKEN=${connector.token}`);
    expect(banner).not.toContain('WARNING');
  });

  it('requires the admin token on /_local/*', async () => {
    for (const path of ['_local/config', '_local/stats']) {
      const anonymous = await call(connector, 'GET', path);
      expect(anonymous.status).toBe(401);
      expect(codeOf(anonymous.body)).toBe('login');
      const producer = await call(connector, 'GET', path, connector.writeToken);
      expect(producer.status).toBe(403);
      expect(codeOf(producer.body)).toBe('forbidden');
      expect((await call(connector, 'GET', path, connector.token)).status).toBe(200);
    }
  });

  it('lets the producer token write but not manage Subscriptions or start backfills', async () => {
    const auto = `Subscription/${connector.autoSubscriptionId}`;
    const written = await call(connector, 'PUT', 'Patient/trust-1', connector.writeToken, {
      resourceType: 'Patient',
      id: 'trust-1',
      active: true,
    });
    expect(written.status).toBe(200);
    for (const [method, path, body] of [
      ['DELETE', auto, undefined],
      ['PUT', auto, { resourceType: 'Subscription', id: connector.autoSubscriptionId }],
      ['POST', 'Subscription', { resourceType: 'Subscription' }],
      ['GET', 'Subscription', undefined],
      ['POST', `${auto}/$trigger-subscription`, { resourceType: 'Parameters' }],
      ['GET', '$backfill-job/any', undefined],
    ] as const) {
      const response = await call(connector, method, path, connector.writeToken, body);
      expect({ method, path, status: response.status, code: codeOf(response.body) }).toEqual({
        method,
        path,
        status: 403,
        code: 'forbidden',
      });
    }
    await waitFor(() => connector.healthlake?.current('Patient', 'trust-1') !== undefined, {
      timeoutMs: 20_000,
      message: 'the producer write delivered',
    });
  });

  it('serves $reset-version (built by ingestHandlerFromEnv) to the admin token only', async () => {
    const written = await call(connector, 'PUT', 'Patient/trust-reset', connector.writeToken, {
      resourceType: 'Patient',
      id: 'trust-reset',
      active: true,
    });
    expect(written.status).toBe(200);
    const path = 'Patient/trust-reset/$reset-version';
    const producer = await call(connector, 'POST', path, connector.writeToken);
    expect(producer.status).toBe(403);
    expect(codeOf(producer.body)).toBe('forbidden');
    const admin = await call(connector, 'POST', path, connector.token);
    expect(admin.status).toBe(200);
    expect(codeOf(admin.body)).toBe('informational');
  });

  it('refuses, even to the admin token, to change or delete the auto-managed Subscription, naming the option', async () => {
    const auto = `Subscription/${connector.autoSubscriptionId}`;
    const deleted = await call(connector, 'DELETE', auto, connector.token);
    expect(deleted.status).toBe(403);
    expect(JSON.stringify(deleted.body)).toContain('autoSubscription.enabled');
    const read = await call(connector, 'GET', auto, connector.token);
    expect(read.body).toMatchObject({ status: 'active', criteria: '[Patient]' });
  });

  it('answers, counts and shows writes that match no active Subscription', async () => {
    const response = await call(connector, 'PUT', 'Observation/trust-obs', connector.writeToken, {
      resourceType: 'Observation',
      id: 'trust-obs',
      status: 'final',
      code: { text: 'x' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'information', diagnostics: expect.stringMatching(/matched no active Subscription/) },
      ],
    });
    expect(connector.stats.writesUnmatched).toBe(1);
    const out: string[] = [];
    const io: CliIo = {
      out: (line) => out.push(line),
      err: () => undefined,
      isTTY: false,
      env: { HLC_API_URL: connector.apiUrl, HLC_TOKEN: connector.token },
    };
    expect(await runCli(['status'], io)).toBe(0);
    expect(out.join('\n')).toContain('writes matching no active Subscription (since start): 1');
  });
});

describe('Local mode start-up on a non-loopback interface', () => {
  it('warns loudly, and only when the address is not loopback', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      expect({ host, loopback: isLoopbackHost(host), warning: exposureWarning(host) }).toEqual({
        host,
        loopback: true,
        warning: undefined,
      });
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'my-laptop.local']) {
      expect(exposureWarning(host)).toMatch(
        new RegExp(`^LOCAL MODE IS LISTENING ON ${host.replace(/\./g, '\\.')}, NOT ONLY ON LOOPBACK`),
      );
    }
  });
});
