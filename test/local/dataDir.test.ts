import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { openJournaledStore } from '../../local/standins/healthlake/storeJournal.js';
import { api, waitFor } from '../e2e/e2eHelpers.js';

const admin = (connector: LocalConnector, path: string, method = 'POST') =>
  fetch(`${connector.apiUrl}/_local/${path}`, {
    method,
    headers: { authorization: `Bearer ${connector.token}` },
  });

describe('Local mode: --data-dir keeps the stand-ins’ state across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hlc-data-'));
  let running: LocalConnector | undefined;
  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async (visibilityTimeoutSeconds = 30) => {
    running = await startConnector({
      apiPort: 0,
      dataDir,
      logLevel: 'warn',
      progress: 'off',
      visibilityTimeoutSeconds,
    });
    return running;
  };

  it('restores HealthLake, the source, the ledger, Subscriptions and the messages waiting in the queue', async () => {
    const first = await start();
    const endpoint = first.healthLakeEndpoint;
    expect((await api(first, 'PUT', 'Patient/kept', { resourceType: 'Patient', id: 'kept' })).status).toBe(
      200,
    );
    await waitFor(() => first.healthlake?.current('Patient', 'kept') !== undefined, {
      message: 'Patient/kept delivered',
    });
    first.source?.store.put({ resourceType: 'Patient', id: 'at-source' }, { versionId: '7' });
    const subscription = await api(first, 'PUT', 'Subscription/kept-sub', {
      resourceType: 'Subscription',
      id: 'kept-sub',
      status: 'requested',
      reason: 'restart test',
      criteria: 'Observation?status=final',
      channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
    });
    expect([200, 201]).toContain(subscription.status);
    // Delivery paused: this write waits in the delivery queue when the connector stops.
    expect((await admin(first, 'delivery/pause')).status).toBe(200);
    expect(
      (await api(first, 'PUT', 'Patient/waiting', { resourceType: 'Patient', id: 'waiting' })).status,
    ).toBe(200);
    await first.stop();
    running = undefined;

    // Another visibility timeout: the kept queues take this start's settings instead of refusing them.
    const second = await start(40);
    // The same data store URL: stored Subscriptions, queued messages and delivered versions still name it.
    expect(second.healthLakeEndpoint).toBe(endpoint);
    // The restored queues are served where the SQS stand-in listens now (its port is new each start).
    expect(second.resources.deliveryQueueUrl.startsWith(`${second.sqsEndpoint}/`)).toBe(true);
    expect(second.healthlake?.current('Patient', 'kept')).toMatchObject({ meta: { versionId: '1' } });
    expect(second.source?.store.current('Patient', 'at-source')).toMatchObject({ meta: { versionId: '7' } });
    // The message that waited is delivered by the new poller.
    await waitFor(() => second.healthlake?.current('Patient', 'waiting') !== undefined, {
      message: 'the write queued before the restart delivered after it',
    });
    // The version ledger remembers version 1: the next write of Patient/kept is version 2.
    const again = await fetch(`${second.apiUrl}/Patient/kept`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', id: 'kept', active: true }),
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe('W/"2"');
    const stored = await api(second, 'GET', 'Subscription/kept-sub');
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ id: 'kept-sub', criteria: 'Observation?status=final' });
  }, 90_000);
});

describe('The FHIR stand-in journal', () => {
  it('replays versions and deletions, and is rewritten with only the versions the store keeps', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hlc-journal-'));
    try {
      const file = join(folder, 'healthlake.ndjson');
      const first = openJournaledStore(file, { maxVersionsPerResource: 2 });
      for (let version = 1; version <= 5; version += 1) {
        first.store.put({ resourceType: 'Observation', id: 'o1', status: 'final' } as never);
      }
      first.store.put({ resourceType: 'Patient', id: 'gone' });
      first.store.delete('Patient', 'gone');
      first.close();
      // Every stored version was appended as it happened.
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(7);

      const second = openJournaledStore(file, { maxVersionsPerResource: 2 });
      expect(second.restored).toBe(7);
      expect(second.store.current('Observation', 'o1')).toMatchObject({ meta: { versionId: '5' } });
      expect(second.store.history('Observation', 'o1').map((version) => version.versionId)).toEqual([
        '5',
        '4',
      ]);
      expect(second.store.current('Patient', 'gone')).toBeUndefined();
      second.close();
      // Rewritten afresh: two kept versions of o1, and both of Patient/gone.
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
