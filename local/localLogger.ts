import type { LocalConfig } from './config.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

/** The narrow logger interface the shared modules and handlers take (Powertools Logger fits it too). */
export interface LocalLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  /** A logger whose lines carry `component`. */
  child(component: string): LocalLogger;
  /** The lowest level printed (`--log-level`). */
  readonly level: LocalConfig['logLevel'];
}

const formatValue = (value: unknown): string => {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
};

/**
 * A logger for local mode: `pretty` prints `12:00:01.234 INFO  deliverer  message key=value`,
 * `json` prints one JSON object per line as Powertools does in Lambda. The same narrow interface is
 * passed to the handlers, so nothing in shared/ knows which one it got. `beforeWrite` lets the
 * live progress line get out of the way.
 */
export const createLocalLogger = (
  options: Pick<LocalConfig, 'logLevel' | 'logFormat'> & {
    write?: (line: string) => void;
    beforeWrite?: () => void;
  },
  component = 'connector',
): LocalLogger => {
  const threshold = LEVELS[options.logLevel];
  // console.error, not process.stderr: a test runner then shows these lines only for failing tests.
  const write = options.write ?? ((line: string) => console.error(line));
  const log = (level: Level, message: string, attributes?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    options.beforeWrite?.();
    if (options.logFormat === 'json') {
      write(
        JSON.stringify({
          level: level.toUpperCase(),
          timestamp: new Date().toISOString(),
          service: component,
          message,
          ...attributes,
        }),
      );
      return;
    }
    const time = new Date().toISOString().slice(11, 23);
    const extra = Object.entries(attributes ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(' ');
    write(
      `${time} ${level.toUpperCase().padEnd(5)} ${component.padEnd(10)} ${message}${extra ? `  ${extra}` : ''}`,
    );
  };
  return {
    debug: (message, attributes) => log('debug', message, attributes),
    info: (message, attributes) => log('info', message, attributes),
    warn: (message, attributes) => log('warn', message, attributes),
    error: (message, attributes) => log('error', message, attributes),
    child: (name) => createLocalLogger(options, name),
    level: options.logLevel,
  };
};
