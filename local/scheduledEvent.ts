import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';

/** The event EventBridge's schedule sends a function (the heartbeat check's timer in local mode). */
export const scheduledEvent = (region = 'us-east-1'): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region,
  resources: [`arn:aws:events:${region}:000000000000:rule/local-notification-check`],
  detail: {},
});
