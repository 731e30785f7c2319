/**
 * Issue 26 in local mode with two data stores on the HealthLake stand-in: while store A answers 429 to
 * everything (and, separately, 403), 100 writes for store B land within twice the time they take with A
 * healthy; after A recovers every message for A lands and none is dead-lettered. The same with a backlog
 * of 10,000 messages for A queued before B's writes. Prints the measured times (the README quotes them).
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import type { FaultKind, FhirStandinDatastore } from '../../local/standins/healthlake/index.js';
import { deduplicationId, messageGroupId } from '../../shared/messages/deliveryMessage.js';
import { deliveryMessage } from '../helpers/deliveryMessages.js';
import { api, cliCapture, queueDepth, waitFor } from './e2eHelpers.js';

const B_WRITES = 100;
const A_WRITES = 100;
const BACKLOG = 10_000;
const STORE_B = 'b0000000000000000000000000000b26';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A rest-hook Subscription delivering `criteria` to `endpoint`. */
const subscription = (id: string, criteria: string, endpoint: string) => ({
  resourceType: 'Subscription',
  id,
  status: 'requested',
  reason: `Deliver ${criteria} to one data store`,
  criteria,
  channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
});

describe('One data store refusing every write never delays another (local mode, two data stores)', () => {
  let connector: LocalConnector;
  let storeA: FhirStandinDatastore;
  let storeB: FhirStandinDatastore;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const port = await freePort();
    connector = await startConnector({
      apiPort: 0,
      logLevel: process.env.HLC_E2E_LOG ? 'error' : 'silent',
      ...(process.env.HLC_E2E_LOG ? { logWrite: (line: string) => process.stderr.write(`${line}\n`) } : {}),
      progress: 'off',
      healthLakePort: port,
      additionalHealthLakeEndpoints: [`http://127.0.0.1:${port}/datastore/${STORE_B}/r4/`],
      autoSubscription: false,
      deliveryRetryCount: 10,
      retryBaseSeconds: 1,
      retryMaxSeconds: 10,
      accessDeniedMaxSeconds: 10,
      maxReceiveCount: 1000,
    });
    const standin = connector.healthlake!;
    storeA = standin.datastore(standin.datastoreId);
    storeB = standin.datastore(STORE_B);
    if (connector.additionalEndpoints.join() !== storeB.endpoint) throw new Error('store B not allowed');
    for (const [id, criteria, endpoint] of [
      ['to-a', 'Observation', storeA.endpoint],
      ['to-b', 'Patient', storeB.endpoint],
    ] as const) {
      // Idempotent: retried when the loaded machine times the ingest function out (502).
      await waitFor(
        async () =>
          (await api(connector, 'PUT', `Subscription/${id}`, subscription(id, criteria, endpoint))).status <
          300,
        { timeoutMs: 120_000, intervalMs: 1000, message: `Subscription/${id}` },
      );
    }
  }, 180_000);

  afterAll(async () => {
    console.log(`data store isolation timings (ms): ${JSON.stringify(timings)}`);
    await connector?.stop();
  });

  const observation = (id: string) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { text: 'isolation' },
  });

  /** Writes in parallel, a few at a time, through the ingest API. */
  const writeAll = async (paths: { path: string; body: unknown }[]) => {
    for (let start = 0; start < paths.length; start += 10) {
      const results = await Promise.all(
        paths.slice(start, start + 10).map(({ path, body }) => api(connector, 'PUT', path, body)),
      );
      for (const { status } of results) expect(status).toBeLessThan(300);
    }
  };

  /** Queues `count` messages for A straight into the delivery queue (delivery paused), as a backlog. */
  const queueBacklog = async (run: string, count: number) => {
    const base = deliveryMessage({
      resourceType: 'Observation',
      subscription: { endpoint: storeA.endpoint, id: 'to-a' },
    });
    const batches: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += 10) {
      const entries = Array.from({ length: Math.min(10, count - start) }, (_, offset) => {
        const id = `${run}-backlog-${start + offset}`;
        const message = {
          ...base,
          id,
          payload: {
            kind: 'inline' as const,
            resource: { ...observation(id), meta: { versionId: '1', lastUpdated: base.lastUpdated } },
          },
        };
        return {
          Id: String(offset),
          MessageBody: JSON.stringify(message),
          MessageGroupId: messageGroupId(message),
          MessageDeduplicationId: deduplicationId(message),
        };
      });
      batches.push(
        connector.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: connector.resources.deliveryQueueUrl, Entries: entries }),
        ),
      );
      if (batches.length >= 20) await Promise.all(batches.splice(0));
    }
    await Promise.all(batches);
  };

  /**
   * One run: A's backlog (delivery paused), A refusing (or not), then A's and B's writes; the time until
   * B's 100 writes are all in store B; then A recovers and everything lands.
   */
  const run = async (name: string, refusal: FaultKind | undefined, backlog: number): Promise<number> => {
    if (backlog > 0) {
      await connector.delivery.pause();
      await queueBacklog(name, backlog);
    }
    if (refusal) storeA.faults.failNext({}, refusal, 1_000_000_000);
    await connector.delivery.start();
    const started = Date.now();
    const bIds = Array.from({ length: B_WRITES }, (_, index) => `${name}-b-${index}`);
    const aIds = Array.from({ length: A_WRITES }, (_, index) => `${name}-a-${index}`);
    await writeAll(
      bIds.flatMap((id, index) => [
        { path: `Patient/${id}`, body: { resourceType: 'Patient', id, active: true } },
        { path: `Observation/${aIds[index]}`, body: observation(aIds[index]!) },
      ]),
    );
    await waitFor(() => bIds.every((id) => storeB.current('Patient', id)), {
      timeoutMs: 240_000,
      intervalMs: 50,
      message: () => `B's writes for ${name}; ${connector.stats.line()}`,
    });
    const bMs = Date.now() - started;
    timings[name] = bMs;
    process.stdout.write(`isolation ${name}: B landed in ${bMs} ms\n`);
    if (refusal) storeA.faults.reset();
    const expectedA = [...aIds, ...Array.from({ length: backlog }, (_, index) => `${name}-backlog-${index}`)];
    await waitFor(
      async () =>
        expectedA.every((id) => storeA.current('Observation', id)) &&
        (await queueDepth(connector, connector.resources.deliveryQueueUrl)) === 0,
      {
        timeoutMs: 240_000,
        intervalMs: 200,
        message: () => `A's messages for ${name}; ${connector.stats.line()}`,
      },
    );
    timings[`${name} (all of A after recovery)`] = Date.now() - started;
    process.stdout.write(`isolation ${name}: all of A in ${Date.now() - started} ms\n`);
    expect(await queueDepth(connector, connector.resources.deliveryDlqUrl)).toBe(0);
    expect(connector.stats.deadLettered).toBe(0);
    return bMs;
  };

  it('without a backlog: 429 and 403 from A leave B within twice its healthy time, and all of A lands after', async () => {
    const healthy = await run('healthy', undefined, 0);
    const throttled = await run('throttled', 'throttle', 0);
    const denied = await run('denied', 'forbidden', 0);
    expect(storeA.faults.injected.throttle).toBeGreaterThan(0);
    expect(storeA.faults.injected.forbidden).toBeGreaterThan(0);
    expect(throttled).toBeLessThan(2 * healthy);
    expect(denied).toBeLessThan(2 * healthy);

    // hlc status shows each data store's bad day apart from the other's.
    const { out, io } = cliCapture(connector);
    expect(await runCli(['status'], io)).toBe(0);
    const line = (id: string) =>
      out
        .find((entry) => entry.startsWith(id))
        ?.split(/\s+/)
        .slice(1)
        .map(Number);
    const [aDelivered, aThrottled, aDenied] = line(storeA.datastoreId) ?? [];
    expect(aDelivered).toBe(3 * A_WRITES);
    expect(aThrottled).toBeGreaterThan(0);
    expect(aDenied).toBeGreaterThan(0);
    expect(line(STORE_B)).toEqual([3 * B_WRITES, 0, 0]);
  }, 600_000);

  it('with 10,000 messages for A queued before B writes: the same', async () => {
    const healthy = await run('backlog-healthy', undefined, BACKLOG);
    const throttled = await run('backlog-throttled', 'throttle', BACKLOG);
    const denied = await run('backlog-denied', 'forbidden', BACKLOG);
    expect(throttled).toBeLessThan(2 * healthy);
    expect(denied).toBeLessThan(2 * healthy);
  }, 1_800_000);
});
