import type { OperationOutcome } from '@medplum/fhirtypes';

/** HealthLake's answer to one write. */
export interface HealthLakeResponse {
  readonly status: number;
  /** The OperationOutcome of a 4xx/5xx answer, when the body held one. */
  readonly outcome?: OperationOutcome;
  /** `x-amzn-ErrorType` of an AWS-level error (e.g. `ExpiredTokenException`), without the suffix. */
  readonly errorType?: string;
  /** `Retry-After` in seconds, when HealthLake sent one. */
  readonly retryAfterSeconds?: number;
  /** Wall time from sending to the complete answer. */
  readonly latencyMs: number;
}

/** Per-request settings. */
export interface RequestOptions {
  /** Abort (as a `timeout`) when the whole request takes longer, ms: the invocation's time left. */
  readonly timeoutMs?: number;
}

/** The data-plane calls the deliverer makes; a fake implements this in tests. */
export interface HealthLakeApi {
  /** `PUT {endpoint}{type}/{id}` with the resource JSON (update-as-create). */
  put(resourceType: string, id: string, body: string, options?: RequestOptions): Promise<HealthLakeResponse>;
  /** `DELETE {endpoint}{type}/{id}`. */
  delete(resourceType: string, id: string, options?: RequestOptions): Promise<HealthLakeResponse>;
  /**
   * `POST {endpoint}` with a transaction Bundle (all entries or none; at most healthLake.maxBundleEntries, default 160). Used by
   * payload search delivery; optional so fakes that never see one need not implement it.
   */
  transaction?(body: string, options?: RequestOptions): Promise<HealthLakeResponse>;
  /**
   * How long a write started now would wait on this data store's pacing (a `Retry-After` hold), ms; the
   * deliverer defers a record instead of sleeping on one data store while it holds others'.
   */
  heldForMs?(): number;
}
