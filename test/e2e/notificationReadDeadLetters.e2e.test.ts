import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { BackportNotifier } from '../../local/standins/backportNotifier.js';
import type { DlqEntry } from '../../shared/operator/describeDlqMessage.js';
import { cliCapture, queueDepth, waitFor } from './e2eHelpers.js';

const observation = (id: string, value: number): Resource & { id: string } => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  valueQuantity: { value, unit: '/min' },
});

describe('An id-only focus the source keeps failing to read: dead-lettered with its cause, redriven once the source answers', () => {
  let connector: LocalConnector;
  let labs: BackportNotifier;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      // A failed page comes back after 2 s: five receives take seconds, not minutes.
      visibilityTimeoutSeconds: 2,
      notificationSources: JSON.stringify([{ subscription: 'labs', resourceTypes: ['Observation'] }]),
    });
    labs = new BackportNotifier({
      store: connector.source!.store,
      sourceBaseUrl: connector.source!.endpoint,
      endpoint: `${connector.apiUrl}/$subscription-notification`,
      token: connector.writeToken,
      subscriptionId: 'labs',
      topic: 'http://example.org/fhir/SubscriptionTopic/labs',
      payload: 'id-only',
    });
    await labs.start();
  }, 60_000);

  afterAll(async () => {
    labs?.stop();
    await connector?.stop();
  });

  const cli = async (args: readonly string[]) => {
    const { out, io } = cliCapture(connector);
    const code = await runCli([...args], io);
    return { code, out };
  };

  it(
    'delivers the others, shows the dead letter in hlc dlq list --backfill and hlc status, and a redrive reads it again',
    { timeout: 180_000 },
    async () => {
      const source = connector.source!;
      // Every read of lab-bad answers 503 (the client's retries and every receive of the page).
      source.faults.failNext({ method: 'GET', urlIncludes: 'Observation/lab-bad' }, 'unavailable', 10_000);
      await labs.put(observation('lab-ok-1', 5.4));
      await labs.put(observation('lab-bad', 9.9));
      await labs.put(observation('lab-ok-2', 6.1));
      expect(labs.sent.map((sent) => sent.status)).toEqual([200, 200, 200, 200]); // handshake + 3 events

      const healthLake = connector.healthlake!.store;
      await waitFor(
        () => healthLake.current('Observation', 'lab-ok-1') && healthLake.current('Observation', 'lab-ok-2'),
        {
          timeoutMs: 30_000,
          message: 'the readable foci in HealthLake',
        },
      );
      const dlqUrl = connector.resources.backfillDlqUrl;
      await waitFor(async () => (await queueDepth(connector, dlqUrl)) === 1, {
        timeoutMs: 120_000,
        intervalMs: 500,
        message: 'the failing read to be dead-lettered after its retries',
      });
      expect(healthLake.current('Observation', 'lab-bad')).toBeUndefined();

      // hlc dlq list --backfill: the resource and its cause (status, error kind, attempts), no content.
      const listed = await cli(['dlq', 'list', '--backfill', '--json']);
      expect(listed.code).toBe(0);
      const entries = JSON.parse(listed.out.join('\n')) as DlqEntry[];
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ resource: 'Observation/lab-bad', operation: 'reread', attempts: 5 });
      expect(entries[0]?.cause).toMatch(
        /^retries-exhausted \| source-read \| HTTP 503 \| TransientSourceError .*gave up after 5 attempts of the 5 allowed/,
      );
      expect(JSON.stringify(entries)).not.toContain('9.9');
      const human = await cli(['dlq', 'list', '--backfill']);
      expect(human.out[0]).toBe('1 message(s) in the backfill DLQ');
      expect(human.out[1]).toMatch(
        / reread Observation\/lab-bad {2}attempts 5\n {4}cause: retries-exhausted \| source-read \| HTTP 503/,
      );

      // hlc status counts it in the backfill DLQ.
      const status = await cli(['status']);
      expect(status.code).toBe(0);
      expect(status.out.find((line) => line.startsWith('backfill-dlq'))).toMatch(/^backfill-dlq\s+1\s/);

      // The source answers again: the redrive sends it to the backfill worker, which reads it and replicates it.
      source.faults.reset();
      const redriven = await cli(['dlq', 'redrive', '--backfill']);
      expect(redriven.code).toBe(0);
      expect(redriven.out.join('\n')).toMatch(/moved 1, failed 0/);
      await waitFor(() => healthLake.current('Observation', 'lab-bad'), {
        timeoutMs: 30_000,
        message: 'the redriven read to reach HealthLake',
      });
      expect(await queueDepth(connector, dlqUrl)).toBe(0);
    },
  );
});
