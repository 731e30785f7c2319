import { describe, expect, it } from 'vitest';
import { sendToHealthLake } from '../../../shared/delivery/sendToHealthLake.js';
import { stripVersionIds } from '../../../shared/delivery/stripVersionIds.js';
import { CredentialsError, HealthLakeTransientError } from '../../../shared/healthlake/errors.js';
import { TEST_ENDPOINT } from '../../helpers/deliveryMessages.js';

const NOW = Date.parse('2026-01-01T00:00:10.000Z');
const at = new Date(NOW).toISOString();
const deps = { now: () => NOW };

describe('sendToHealthLake', () => {
  it('classifies a stale-credential answer even when nobody listens for rejected credentials', async () => {
    const outcome = await sendToHealthLake(
      'upsert',
      async () => ({ status: 403, latencyMs: 1, errorType: 'ExpiredTokenException' }),
      TEST_ENDPOINT,
      1,
      deps,
    );
    expect(outcome).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'http-status', status: 403 },
    });
  });

  it('reports the endpoint whose credentials were rejected', async () => {
    const rejected: string[] = [];
    await sendToHealthLake(
      'delete',
      async () => ({ status: 401, latencyMs: 1, errorType: 'ExpiredToken' }),
      TEST_ENDPOINT,
      1,
      { ...deps, credentialsRejected: (endpoint) => rejected.push(endpoint) },
    );
    expect(rejected).toEqual([TEST_ENDPOINT]);
  });

  it('is a transient failure with its reason and message when the request got no answer', async () => {
    const outcome = await sendToHealthLake(
      'upsert',
      async () => {
        throw new HealthLakeTransientError('connection', 'PUT Patient: connection reset');
      },
      TEST_ENDPOINT,
      2,
      deps,
    );
    expect(outcome).toEqual({
      kind: 'transient-failure',
      cause: { reason: 'connection', attempt: 2, at, diagnostics: 'PUT Patient: connection reset' },
    });
  });

  it('is a transient credentials failure, or access denied when STS refused the role', async () => {
    const unavailable = await sendToHealthLake(
      'upsert',
      async () => {
        throw new CredentialsError('STS did not answer');
      },
      TEST_ENDPOINT,
      1,
      deps,
    );
    expect(unavailable).toEqual({
      kind: 'transient-failure',
      cause: { reason: 'credentials', attempt: 1, at, diagnostics: 'STS did not answer' },
    });
    const refusal = Object.assign(new Error('not authorized to assume the role'), { name: 'AccessDenied' });
    const denied = await sendToHealthLake(
      'upsert',
      async () => {
        throw new CredentialsError('AssumeRole refused', { cause: refusal });
      },
      TEST_ENDPOINT,
      1,
      deps,
    );
    expect(denied).toMatchObject({ kind: 'transient-failure', cause: { reason: 'access-denied' } });
  });

  it('rethrows any other error', async () => {
    const bug = new TypeError('bug');
    await expect(
      sendToHealthLake(
        'upsert',
        async () => {
          throw bug;
        },
        TEST_ENDPOINT,
        1,
        deps,
      ),
    ).rejects.toBe(bug);
  });
});

describe('stripVersionIds: meta that is not an object', () => {
  it('leaves a resource whose meta is null or a string as it is', () => {
    const nullMeta = { resourceType: 'Patient', meta: null };
    expect(stripVersionIds(nullMeta)).toBe(nullMeta);
    const stringMeta = { resourceType: 'Patient', meta: 'versionId' };
    expect(stripVersionIds(stringMeta)).toBe(stringMeta);
  });
});
