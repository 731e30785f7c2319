import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../shared/delivery/classifyResponse.js';

describe('Function: classifyResponse (HealthLake diagnostics)', () => {
  it('scrubs values HealthLake quotes in diagnostics before they reach the DLQ cause and logs', () => {
    const outcome = classifyResponse(
      'upsert',
      {
        status: 422,
        latencyMs: 5,
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'processing',
              diagnostics: `Invalid value "Jane Q. Smith" for Patient.name; identifier '123-45-6789' rejected`,
            },
          ],
        },
      },
      1,
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(outcome.kind).toBe('terminal-failure');
    const diagnostics = (outcome as { cause: { diagnostics?: string } }).cause.diagnostics;
    expect(diagnostics).toBe(
      'Invalid value (value omitted) for Patient.name; identifier (value omitted) rejected',
    );
  });
});
