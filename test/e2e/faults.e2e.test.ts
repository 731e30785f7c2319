import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { describeDlqMessage } from '../../shared/operator/describeDlqMessage.js';
import { peekMessages } from '../../shared/operator/peekMessages.js';
import { api, cliCapture, queueDepth, waitFor } from './e2eHelpers.js';

const PATIENTS = 40;
const DELETED = 10;
const VERSIONS = 3;

describe('Local mode end to end with HealthLake throttling, 5xx and timeouts', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      faults: { throttleRate: 0.15, serverErrorRate: 0.15, timeoutRate: 0.03, seed: 7 },
      healthLakeTimeoutMs: 400,
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
      deliveryRetryCount: 30,
      maxReceiveCount: 40,
    });
  });

  afterAll(async () => {
    await connector?.stop();
  });

  const healthlake = () => {
    if (!connector.healthlake) throw new Error('no HealthLake stand-in');
    return connector.healthlake;
  };

  it('still ends at exactly the expected latest state', async () => {
    const ids = Array.from({ length: PATIENTS }, (_, index) => `faulty-${index}`);
    await Promise.all(
      ids.map(async (id, index) => {
        for (let version = 1; version <= VERSIONS; version += 1) {
          const put = await api(connector, 'PUT', `Patient/${id}`, {
            resourceType: 'Patient',
            id,
            birthDate: `199${version}-01-01`,
          });
          expect(put.status).toBeLessThan(300);
        }
        const deleted = index < DELETED ? (await api(connector, 'DELETE', `Patient/${id}`)).status : 204;
        expect(deleted).toBeLessThan(300);
      }),
    );
    const matches = () =>
      ids.every((id, index) => {
        const current = healthlake().current<{ birthDate?: string }>('Patient', id);
        return index < DELETED ? current === undefined : current?.birthDate === `199${VERSIONS}-01-01`;
      });
    await waitFor(
      async () => matches() && (await queueDepth(connector, connector.resources.deliveryQueueUrl)) === 0,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: () => `expected state; ${connector.stats.line()}`,
      },
    );
    expect(matches()).toBe(true);
    const injected = healthlake().faults.injected;
    expect(injected.throttle + injected['server-error'] + injected.unavailable).toBeGreaterThan(0);
    expect(connector.stats.retried).toBeGreaterThan(0);
    expect(connector.stats.deadLettered).toBe(0);
    expect(await queueDepth(connector, connector.resources.deliveryDlqUrl)).toBe(0);
  });

  it('dead-letters a message that keeps failing, with its cause, and the CLI redrives it', async () => {
    healthlake().faults.reset();
    healthlake().faults.failNext({ resourceType: 'Patient', id: 'dlq-1' }, 'server-error', 1000);
    expect(
      (await api(connector, 'PUT', 'Patient/dlq-1', { resourceType: 'Patient', id: 'dlq-1' })).status,
    ).toBeLessThan(300);
    await waitFor(async () => (await queueDepth(connector, connector.resources.deliveryDlqUrl)) === 1, {
      timeoutMs: 30_000,
      message: 'one message in the DLQ',
    });
    const [message] = await peekMessages(connector.sqs, connector.resources.deliveryDlqUrl);
    const entry = describeDlqMessage(message!);
    expect(entry.resource).toBe('Patient/dlq-1');
    expect(entry.cause).toContain('retries-exhausted');
    expect(entry.cause).toContain('HTTP 500');
    expect(connector.stats.deadLettered).toBe(1);

    const { out, io } = cliCapture(connector);
    expect(await runCli(['dlq', 'list'], io)).toBe(0);
    expect(out.join('\n')).toContain('Patient/dlq-1');
    expect(out.join('\n')).not.toContain('"resourceType"');

    healthlake().faults.reset();
    out.length = 0;
    expect(await runCli(['dlq', 'redrive'], io)).toBe(0);
    expect(out.join('\n')).toContain('moved 1, failed 0');
    await waitFor(() => healthlake().current('Patient', 'dlq-1'), {
      message: 'Patient/dlq-1 delivered after redrive',
    });
    expect(await queueDepth(connector, connector.resources.deliveryDlqUrl)).toBe(0);
  });
});
