import type { Logger } from '@aws-lambda-powertools/logger';
import type { IngestLogger } from '../../shared/ingest/IngestLogger.js';

type Extra = Record<string, never>;

/** Powertools Logger behind the narrow logger interface the shared modules take. */
export const adaptLogger = (logger: Logger): IngestLogger => ({
  debug: (message, attributes) => logger.debug(message, (attributes ?? {}) as Extra),
  info: (message, attributes) => logger.info(message, (attributes ?? {}) as Extra),
  warn: (message, attributes) => logger.warn(message, (attributes ?? {}) as Extra),
  error: (message, attributes) => logger.error(message, (attributes ?? {}) as Extra),
});
