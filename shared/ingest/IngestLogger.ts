/**
 * The logging surface ingest code uses (Powertools `Logger` satisfies it, so it is passed as is).
 * Every call passes attributes: resourceType, id, versionId, subscription id and outcome only, never
 * resource content.
 */
export interface IngestLogger {
  debug(message: string, attributes: Record<string, unknown>): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/**
 * Where the write pipeline writes Smile's "Subscription troubleshooting log": at `debug` only (Powertools
 * `Logger` fits), so the verdicts are worked out only when someone will read them.
 */
export interface TroubleshootingLogger extends Pick<IngestLogger, 'debug'> {
  getLevelName(): string;
}

export const SILENT_LOGGER: IngestLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
