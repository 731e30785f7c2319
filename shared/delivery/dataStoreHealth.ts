import type { FailureCause } from '../messages/failureCause.js';
import { FailureReason } from '../messages/failureCause.js';

/**
 * Failures in a row (no answer of another kind between them) before a data store's records are deferred
 * instead of tried: one 429 among many successes is HealthLake's quota at work (the AdaptivePacer's
 * business), three in a row mean the data store refuses this instance's writes for now.
 */
export const FAILURES_BEFORE_DEFERRING = 3;

/**
 * A pacer wait longer than this (e.g. a `Retry-After` hold) defers the record instead of sleeping in the
 * invocation, which also holds other data stores' records; shorter waits are ordinary pacing.
 */
export const PACER_DEFER_THRESHOLD_MS = 1000;

/** Failures that say the data store (not the message) is the problem: its quota, its key or role, its reachability. */
export const isDataStoreFailure = (cause: FailureCause): boolean =>
  cause.reason === FailureReason.accessDenied ||
  cause.reason === FailureReason.credentials ||
  cause.reason === FailureReason.timeout ||
  cause.reason === FailureReason.connection ||
  (cause.reason === FailureReason.httpStatus && cause.status === 429);

interface StoreState {
  failures: number;
  /** Epoch ms before which the data store's records are deferred. */
  until: number;
}

/**
 * What one deliverer instance knows about each data store it writes to: after
 * `FAILURES_BEFORE_DEFERRING` data-store failures in a row, the data store rests for its backoff, and
 * its records are deferred (not tried, no attempt spent) until then; the first record after the rest is
 * the probe, and any other answer ends the rest. Kept per instance (no shared state to read or to fail):
 * each instance probes a failing data store at most once per backoff. Holds only endpoints on the
 * allow-list (the deliverer refuses the others first).
 *
 * @example
 * const wait = health.waitMs(endpoint); // > 0: defer the record
 * health.failed(endpoint, (failures) => retryDelaySeconds(failures, backoff)); // after a 429
 */
export class DataStoreHealth {
  private readonly stores = new Map<string, StoreState>();

  public constructor(private readonly now: () => number = Date.now) {}

  /** How long records for `endpoint` must still wait, ms (0: try them). */
  public waitMs(endpoint: string): number {
    const state = this.stores.get(endpoint);
    return state ? Math.max(0, state.until - this.now()) : 0;
  }

  /**
   * Counts a data-store failure; from the `FAILURES_BEFORE_DEFERRING`th in a row on, the data store
   * rests for `restSeconds(n)` (n = 1 for the first rest, growing with each failed probe).
   */
  public failed(endpoint: string, restSeconds: (rests: number) => number): void {
    const state = this.stores.get(endpoint) ?? { failures: 0, until: 0 };
    state.failures += 1;
    const rests = state.failures - FAILURES_BEFORE_DEFERRING + 1;
    if (rests >= 1) state.until = Math.max(state.until, this.now() + restSeconds(rests) * 1000);
    this.stores.set(endpoint, state);
  }

  /** The data store answered (anything but a data-store failure): its records go straight through again. */
  public answered(endpoint: string): void {
    this.stores.delete(endpoint);
  }

  /** Data stores with failures on record (at most the allow-list). */
  public get size(): number {
    return this.stores.size;
  }
}
