import { Console } from 'node:console';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../shared/delivery/constants.js';

/**
 * A Powertools logger (INFO) and metrics pair whose output goes to `sink` (default /dev/null): log
 * lines and EMF records are still produced, so their cost counts, but they are not printed over a
 * benchmark's table.
 */
export const silentPowertools = (
  serviceName: string,
  sink: () => Writable = () => createWriteStream('/dev/null'),
): { logger: Logger; metrics: Metrics } => {
  const devNull = new Console({ stdout: sink(), stderr: sink() });
  const logger = new Logger({ serviceName, logLevel: 'INFO' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger: devNull });
  (logger as unknown as { console: Console }).console = devNull;
  (metrics as unknown as { console: Console }).console = devNull;
  return { logger, metrics };
};
