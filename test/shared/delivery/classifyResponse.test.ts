import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { classifyResponse, isStaleCredentialResponse } from '../../../shared/delivery/classifyResponse.js';
import { DIAGNOSTICS_WITHHELD } from '../../../shared/healthlake/allowListedIssue.js';

describe('Function: classifyResponse (HealthLake diagnostics)', () => {
  it('keeps only the allow-listed form of the diagnostics in the cause, never a value', () => {
    const outcome = classifyResponse(
      'upsert',
      {
        status: 422,
        latencyMs: 5,
        errorType: 'Bad header with 123-45-6789',
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'processing',
              diagnostics: `Invalid value "Jane Q. Smith" for Patient.name; identifier 123-45-6789 rejected`,
              expression: ['Patient.name[0]'],
            },
          ],
        },
      },
      1,
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(outcome).toMatchObject({
      kind: 'terminal-failure',
      cause: { issueCode: 'processing', diagnostics: `${DIAGNOSTICS_WITHHELD} at Patient.name[0]` },
    });
    expect(JSON.stringify(outcome)).not.toMatch(/Smith|123-45-6789/);
  });
});

const NOW = Date.parse('2026-01-01T00:00:00Z');
const at = new Date(NOW).toISOString();
const issues = (...codes: OperationOutcomeIssue['code'][]): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: codes.map((code) => ({ severity: 'error', code })),
});

describe('Function: classifyResponse (status classes)', () => {
  it('delivers on 2xx only: 300 is a terminal failure', () => {
    expect(classifyResponse('upsert', { status: 299, latencyMs: 4 }, 1, NOW)).toEqual({
      kind: 'delivered',
      status: 299,
      healthLakeLatencyMs: 4,
    });
    expect(classifyResponse('upsert', { status: 300, latencyMs: 4 }, 1, NOW).kind).toBe('terminal-failure');
    expect(classifyResponse('upsert', { status: 199, latencyMs: 4 }, 1, NOW).kind).toBe('terminal-failure');
  });

  it('treats a DELETE answered 404 or 410 as deleted, and any other 4xx as terminal', () => {
    expect(classifyResponse('delete', { status: 410, latencyMs: 2 }, 1, NOW)).toEqual({
      kind: 'deleted',
      status: 410,
      healthLakeLatencyMs: 2,
    });
    expect(classifyResponse('delete', { status: 400, latencyMs: 2 }, 1, NOW).kind).toBe('terminal-failure');
    expect(classifyResponse('upsert', { status: 404, latencyMs: 2 }, 1, NOW).kind).toBe('terminal-failure');
  });

  it('drops a 400 with any not-supported issue, but not another status or an outcome without issues', () => {
    expect(
      classifyResponse(
        'upsert',
        { status: 400, latencyMs: 1, outcome: issues('invalid', 'not-supported') },
        1,
        NOW,
      ),
    ).toEqual({ kind: 'not-supported-dropped', status: 400, healthLakeLatencyMs: 1 });
    expect(
      classifyResponse('upsert', { status: 422, latencyMs: 1, outcome: issues('not-supported') }, 1, NOW)
        .kind,
    ).toBe('terminal-failure');
    const bare = { resourceType: 'OperationOutcome' } as OperationOutcome;
    expect(classifyResponse('upsert', { status: 400, latencyMs: 1, outcome: bare }, 2, NOW)).toEqual({
      kind: 'terminal-failure',
      cause: { reason: 'http-status', status: 400, attempt: 2, at },
      healthLakeLatencyMs: 1,
    });
  });

  it('puts the Retry-After hint in the cause only when HealthLake sent one', () => {
    const hinted = classifyResponse('upsert', { status: 429, latencyMs: 1, retryAfterSeconds: 0 }, 1, NOW);
    expect(hinted).toMatchObject({ kind: 'transient-failure', cause: { retryAfterSeconds: 0 } });
    const plain = classifyResponse('upsert', { status: 429, latencyMs: 1 }, 1, NOW);
    expect(plain.kind === 'transient-failure' && Object.keys(plain.cause)).toEqual([
      'reason',
      'status',
      'attempt',
      'at',
    ]);
  });
});

describe('Function: isStaleCredentialResponse', () => {
  it('is true for a 401 or 403 naming expired or unknown credentials, and only then', () => {
    expect(isStaleCredentialResponse({ status: 401, latencyMs: 1, errorType: 'ExpiredTokenException' })).toBe(
      true,
    );
    expect(
      isStaleCredentialResponse({ status: 403, latencyMs: 1, errorType: 'InvalidSignatureException' }),
    ).toBe(true);
    expect(isStaleCredentialResponse({ status: 400, latencyMs: 1, errorType: 'ExpiredTokenException' })).toBe(
      false,
    );
    expect(isStaleCredentialResponse({ status: 403, latencyMs: 1, errorType: 'AccessDeniedException' })).toBe(
      false,
    );
    expect(isStaleCredentialResponse({ status: 403, latencyMs: 1 })).toBe(false);
  });

  it('makes a 403 without stale credentials an access-denied transient failure', () => {
    expect(classifyResponse('upsert', { status: 403, latencyMs: 1 }, 1, NOW)).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'access-denied', status: 403 },
    });
    expect(
      classifyResponse('upsert', { status: 401, latencyMs: 1, errorType: 'ExpiredToken' }, 1, NOW),
    ).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'http-status', errorType: 'ExpiredToken' },
    });
  });
});
