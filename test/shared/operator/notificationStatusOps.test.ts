import { describe, expect, it } from 'vitest';
import type { FhirApiClient } from '../../../shared/operator/FhirApiClient.js';
import {
  notificationStatusLines,
  readNotificationStatus,
} from '../../../shared/operator/notificationStatusOps.js';

/** A client whose every request answers `status` with `body`, recording the paths asked for. */
const answering = (status: number, body: unknown) => {
  const paths: string[] = [];
  const client = {
    request: async (_method: string, path: string) => {
      paths.push(path);
      return { status, headers: new Headers(), body };
    },
  } as unknown as FhirApiClient;
  return { client, paths };
};

describe('Function: readNotificationStatus', () => {
  it('reads each source part, keeping only fields of the expected type', async () => {
    const { client, paths } = answering(200, {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'source',
          part: [
            { name: 'subscription', valueString: 'admissions' },
            { name: 'status', valueCode: 'active' },
            { name: 'lastEventNumber', valueUnsignedInt: 9 },
            { name: 'lastEventAt', valueInstant: '2026-03-01T10:00:00Z' },
            { name: 'heartbeatOverdue', valueBoolean: true },
            { name: 'gapsFound', valueUnsignedInt: -1 },
            { name: 'gapsRepaired', valueUnsignedInt: '2' },
            { name: 'lastHeartbeatAt', valueInstant: 'not a time' },
          ],
        },
        { name: 'source', part: [{ name: 'subscription', valueString: 42 }] },
        { name: 'other', part: [{ name: 'subscription', valueString: 'x' }] },
      ],
    });
    expect(await readNotificationStatus(client)).toEqual([
      {
        subscription: 'admissions',
        status: 'active',
        lastEventNumber: 9,
        lastEventAt: '2026-03-01T10:00:00Z',
        heartbeatOverdue: true,
      },
    ]);
    expect(paths).toEqual(['$notification-status']);
  });

  it('says why when the API refuses or answers something else', async () => {
    await expect(readNotificationStatus(answering(403, {}).client)).rejects.toThrow('HTTP 403');
    await expect(readNotificationStatus(answering(200, { resourceType: 'Bundle' }).client)).rejects.toThrow(
      'did not answer a Parameters resource',
    );
  });
});

describe('Function: notificationStatusLines', () => {
  it('prints one line per source, with gaps found and repaired and an overdue heartbeat', () => {
    expect(
      notificationStatusLines([
        {
          subscription: 'admissions',
          status: 'active',
          lastEventNumber: 9,
          lastEventAt: '2026-03-01T10:00:00Z',
          lastNotificationAt: '2026-03-01T10:01:00Z',
          lastHeartbeatAt: '2026-03-01T10:00:30Z',
          heartbeatOverdue: true,
          gapsFound: 2,
          eventsMissed: 3,
          gapsRepaired: 1,
          heartbeatsMissed: 1,
          pendingEvents: 2,
        },
        { subscription: 'labs' },
      ]),
    ).toEqual([
      'source Subscription admissions: active, last event 9 (2026-03-01T10:00:00Z), last notification 2026-03-01T10:01:00Z, last heartbeat 2026-03-01T10:00:30Z (OVERDUE), gaps found 2 (3 events), repaired 1, heartbeats missed 1, 2 event(s) awaited',
      'source Subscription labs: no status yet, last event none (never), last notification never, last heartbeat never, gaps found 0 (0 events), repaired 0, heartbeats missed 0',
    ]);
    expect(notificationStatusLines([])).toEqual([
      'notification sources: none followed (notifications.sources)',
    ]);
  });
});
