/** What a transform receives: the resource as the source sent it, and which write it is. */
export interface TransformEvent {
  readonly resource: Record<string, unknown>;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  readonly subscriptionId: string;
}

/**
 * Runs a named delivery transform (a Lambda function deployed; local mode serves JavaScript modules
 * through a Lambda stand-in, the same API). Resolves with the transform's raw answer, JSON text: the
 * resource to deliver, or `null` / nothing to deliver nothing. Throws `TransformError` (errors.ts).
 */
export interface TransformInvoker {
  invoke(name: string, event: TransformEvent, options: { readonly timeoutMs: number }): Promise<Uint8Array>;
}

/** The default time limit of one transform, ms (delivery.transformTimeoutSeconds). */
export const DEFAULT_TRANSFORM_TIMEOUT_MS = 5_000;
/** The largest answer a transform may give, bytes (what the ingest API accepts by default). */
export const MAX_TRANSFORM_OUTPUT_BYTES = 5 * 1024 * 1024;
