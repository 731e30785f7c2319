import { BACKPORT_HEARTBEAT_PERIOD_EXTENSION } from './constants.js';
import { isObject, toCounter } from './parameterValues.js';

/**
 * The heartbeat period (seconds) a backport Subscription asks for: its `channel` extension
 * `backport-heartbeat-period` (unsignedInt). Notifications do not carry it, so the connector learns it
 * from the source Subscription itself (or from configuration). Undefined when absent or malformed.
 *
 * @example
 * heartbeatPeriodOf(await source.read('Subscription', 'admissions')); // 120
 */
export const heartbeatPeriodOf = (subscription: unknown): number | undefined => {
  const channel = isObject(subscription) ? subscription['channel'] : undefined;
  const extensions = isObject(channel) && Array.isArray(channel['extension']) ? channel['extension'] : [];
  const found = extensions.find(
    (extension) => isObject(extension) && extension['url'] === BACKPORT_HEARTBEAT_PERIOD_EXTENSION,
  );
  return isObject(found) ? toCounter(found['valueUnsignedInt'] ?? found['valueInteger']) : undefined;
};
