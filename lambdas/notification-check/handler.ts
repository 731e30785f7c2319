/**
 * Heartbeat check Lambda entry point: a scheduled event; catches up source Subscriptions gone silent.
 */
import type { NotificationCheckHandler } from './createNotificationCheckHandler.js';
import { notificationCheckHandlerFromEnv } from './notificationCheckHandlerFromEnv.js';

export {
  createNotificationCheckHandler,
  type NotificationCheckHandler,
  type NotificationCheckHandlerDeps,
} from './createNotificationCheckHandler.js';

let cached: NotificationCheckHandler | undefined;
/** Configuration is read on first invocation so importing stays side-effect free. */
export const handler: NotificationCheckHandler = async (event, context) => {
  cached ??= notificationCheckHandlerFromEnv(process.env);
  return cached(event, context);
};
