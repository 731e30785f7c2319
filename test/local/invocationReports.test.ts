import { beforeEach, describe, expect, it } from 'vitest';
import { invocationTotals, resetInvocationTotals, timeInvocation } from '../../local/invocationReports.js';

describe('invocation reports (local Lambda runtime)', () => {
  beforeEach(() => resetInvocationTotals());

  it('counts invocations per function and sums their durations rounded up to whole milliseconds', async () => {
    const result = await timeInvocation('fn-a', async () => {
      await new Promise((done) => setTimeout(done, 20));
      return 'ok';
    });
    await timeInvocation('fn-a', async () => undefined);
    await expect(timeInvocation('fn-b', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(result).toBe('ok');
    const totals = invocationTotals();
    expect(totals.get('fn-a')?.invocations).toBe(2);
    expect(totals.get('fn-a')?.billedMs).toBeGreaterThanOrEqual(21);
    // A failed invocation is billed too.
    expect(totals.get('fn-b')).toEqual({ invocations: 1, billedMs: expect.any(Number) });
    expect(totals.get('fn-b')?.billedMs).toBeGreaterThanOrEqual(1);
  });

  it('keeps one entry per function name, however many invocations it times', async () => {
    // Local mode names a handful of functions (the API adapter and the pollers).
    const names = ['ingest', 'deliverer', 'backfill-worker'];
    for (let call = 0; call < 3_000; call += 1) await timeInvocation(names[call % 3]!, async () => call);
    expect(invocationTotals().size).toBe(3);
    expect(invocationTotals().get('deliverer')?.invocations).toBe(1_000);
  });

  it('starts again from nothing after a reset', async () => {
    await timeInvocation('fn-a', async () => undefined);
    resetInvocationTotals();
    expect(invocationTotals().size).toBe(0);
  });
});
