import { describe, expect, it } from 'vitest';
import { deliverMessage } from '../../../shared/delivery/deliverMessage.js';
import { type DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const NOW = Date.parse('2026-01-01T00:00:10.000Z');
const at = new Date(NOW).toISOString();

const setup = () => {
  const fake = new FakeHealthLake();
  const deps: DeliverMessageDeps = { healthLake: () => fake, now: () => NOW };
  return { fake, deps };
};

describe('deliverMessage: edges', () => {
  it('sends the version already delivered again (a redelivery is idempotent), but not an older one', async () => {
    const { fake, deps } = setup();
    const delivered = { versionId: '2', lastUpdated: '2026-01-01T00:00:00.000Z', deleted: false };
    expect(
      (await deliverMessage(deliveryMessage({ versionId: '2' }), { attempt: 2, delivered }, deps)).kind,
    ).toBe('delivered');
    expect(
      await deliverMessage(
        deliveryMessage({ versionId: '1', lastUpdated: '2025-12-31T00:00:00.000Z' }),
        { attempt: 1, delivered },
        deps,
      ),
    ).toEqual({ kind: 'stale-skipped', newer: delivered, against: 'delivered' });
    expect(fake.calls).toHaveLength(1);
  });

  it('gives each request the time left as its timeout, and none without a limit', async () => {
    const { fake, deps } = setup();
    await deliverMessage(deliveryMessage(), { attempt: 1, requestTimeoutMs: 1_234 }, deps);
    await deliverMessage(
      deliveryMessage({ operation: 'delete', versionId: '2' }),
      { attempt: 1, requestTimeoutMs: 99 },
      deps,
    );
    await deliverMessage(deliveryMessage({ versionId: '3' }), { attempt: 1 }, deps);
    expect(fake.requestOptions).toEqual([{ timeoutMs: 1_234 }, { timeoutMs: 99 }, undefined]);
  });

  it('sends a DELETE for a delete, even one that carries a payload', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({
      operation: 'delete',
      versionId: '2',
      payload: { kind: 'inline', resource: { resourceType: 'Patient', id: 'p1' } },
    });
    expect((await deliverMessage(message, { attempt: 1 }, deps)).kind).toBe('deleted');
    expect(fake.calls).toEqual([{ method: 'DELETE', resourceType: 'Patient', id: 'p1' }]);
  });

  it('says why a payload for another resource is refused', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({
      payload: { kind: 'inline', resource: { resourceType: 'Observation', id: 'p1' } },
    });
    expect(await deliverMessage(message, { attempt: 3 }, deps)).toEqual({
      kind: 'terminal-failure',
      cause: {
        reason: 'payload-corrupt',
        attempt: 3,
        at,
        diagnostics: 'payload resourceType/id do not match the message',
      },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('retries an S3 payload it cannot read, saying why', async () => {
    const { deps } = setup();
    const message = deliveryMessage({
      payload: { kind: 's3', bucket: 'payloads', key: 'k1', bytes: 2, sha256: 'a'.repeat(64) },
    });
    expect(await deliverMessage(message, { attempt: 1 }, deps)).toEqual({
      kind: 'transient-failure',
      cause: {
        reason: 'payload-unavailable',
        attempt: 1,
        at,
        diagnostics: 'No S3 client configured for S3 payloads',
      },
    });
  });

  it('rethrows an error that is not about the payload or replication', async () => {
    const { deps } = setup();
    const resource: Record<string, unknown> = { resourceType: 'Patient', id: 'p1' };
    resource.self = resource;
    const message = deliveryMessage({ payload: { kind: 'inline', resource } });
    await expect(deliverMessage(message, { attempt: 1 }, deps)).rejects.toBeInstanceOf(TypeError);
  });

  it('dead-letters a delete whose replicated id would be invalid, sending nothing', async () => {
    const { fake, deps } = setup();
    const message = deliveryMessage({
      operation: 'delete',
      versionId: '2',
      subscription: { replication: { idPrefix: 'x'.repeat(63) } },
    });
    expect(await deliverMessage(message, { attempt: 1 }, deps)).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'replication', attempt: 1, at, diagnostics: expect.stringContaining('64') },
    });
    expect(fake.calls).toHaveLength(0);
  });
});
