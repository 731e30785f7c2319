/** `POST [base]/$subscription-notification`: where a source Subscription's channel.endpoint points. */
export const NOTIFICATION_OPERATION = '$subscription-notification';
/** `GET [base]/$notification-status` (admin): what the connector knows of each source Subscription. */
export const NOTIFICATION_STATUS_OPERATION = '$notification-status';

/** Environment variables of the notification intake (ingest) and the heartbeat check. */
export const NOTIFICATION_ENV = {
  sources: 'NOTIFICATION_SOURCES',
  allowedOrigins: 'NOTIFICATION_ALLOWED_ORIGINS',
  catchUpMarginSeconds: 'NOTIFICATION_CATCH_UP_MARGIN_SECONDS',
  heartbeatToleranceSeconds: 'NOTIFICATION_HEARTBEAT_TOLERANCE_SECONDS',
  gapGraceSeconds: 'NOTIFICATION_GAP_GRACE_SECONDS',
} as const;

/** Most source Subscriptions one connector follows (each is one item read per heartbeat check). */
export const MAX_NOTIFICATION_SOURCES = 100;
