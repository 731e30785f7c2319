import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Where a handler's logs and metrics go. In Lambda the factories create Powertools' own (JSON logs on
 * stdout, EMF); local mode passes sinks that print readable lines and feed its counters.
 */
export interface RuntimeSinks {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** A handler built from its environment, with the SDK clients it owns closable (local mode's shutdown). */
export type Destroyable<H> = H & { destroy(): void };
