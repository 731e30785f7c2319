import { describe, expect, it } from 'vitest';
import {
  DataStoreHealth,
  FAILURES_BEFORE_DEFERRING,
  isDataStoreFailure,
} from '../../../shared/delivery/dataStoreHealth.js';
import { failureCause, FailureReason } from '../../../shared/messages/failureCause.js';

// One deliverer instance's view of each data store, on a clock the test moves.
const A = 'https://healthlake.us-east-1.amazonaws.com/datastore/a/r4/';
const B = 'https://healthlake.us-east-1.amazonaws.com/datastore/b/r4/';

describe('isDataStoreFailure', () => {
  it('blames the data store for access, credentials, timeouts, connections and 429, and the message for the rest', () => {
    const cause = (reason: FailureReason, status?: number) =>
      failureCause(reason, 1, 0, status === undefined ? {} : { status });
    for (const reason of [
      FailureReason.accessDenied,
      FailureReason.credentials,
      FailureReason.timeout,
      FailureReason.connection,
    ]) {
      expect(isDataStoreFailure(cause(reason))).toBe(true);
    }
    expect(isDataStoreFailure(cause(FailureReason.httpStatus, 429))).toBe(true);
    expect(isDataStoreFailure(cause(FailureReason.httpStatus, 500))).toBe(false);
    expect(isDataStoreFailure(cause(FailureReason.httpStatus, 400))).toBe(false);
    expect(isDataStoreFailure(cause(FailureReason.invalidMessage))).toBe(false);
    expect(isDataStoreFailure(cause(FailureReason.payloadMissing, 429))).toBe(false);
  });
});

describe('DataStoreHealth', () => {
  it('rests a data store from the third failure in a row, for a rest that grows with each failed probe', () => {
    let now = 1_000_000;
    const health = new DataStoreHealth(() => now);
    const rests: number[] = [];
    const restSeconds = (n: number) => (rests.push(n), 10 * n);
    expect(FAILURES_BEFORE_DEFERRING).toBe(3);
    health.failed(A, restSeconds);
    health.failed(A, restSeconds);
    expect(health.waitMs(A)).toBe(0);
    expect(rests).toEqual([]);
    health.failed(A, restSeconds);
    expect(rests).toEqual([1]);
    expect(health.waitMs(A)).toBe(10_000);
    now += 4_000;
    expect(health.waitMs(A)).toBe(6_000);
    now += 7_000;
    expect(health.waitMs(A)).toBe(0);
    health.failed(A, restSeconds); // the probe failed too
    expect(rests).toEqual([1, 2]);
    expect(health.waitMs(A)).toBe(20_000);
    // Another data store is not affected.
    expect(health.waitMs(B)).toBe(0);
    expect(health.size).toBe(1);
  });

  it('never shortens a rest already running', () => {
    const health = new DataStoreHealth(() => 0);
    for (let i = 0; i < 3; i += 1) health.failed(A, () => 60);
    health.failed(A, () => 1);
    expect(health.waitMs(A)).toBe(60_000);
  });

  it('ends the rest and the count when the data store answers', () => {
    const health = new DataStoreHealth(() => 0);
    for (let i = 0; i < 3; i += 1) health.failed(A, () => 60);
    health.failed(B, () => 60);
    expect(health.size).toBe(2);
    health.answered(A);
    expect(health.waitMs(A)).toBe(0);
    expect(health.size).toBe(1);
    // Counting starts again: two more failures do not rest it.
    health.failed(A, () => 60);
    health.failed(A, () => 60);
    expect(health.waitMs(A)).toBe(0);
  });
});
