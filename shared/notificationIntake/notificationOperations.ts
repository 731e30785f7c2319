import { OPERATION_DEFINITION_BASE, type FhirOperation } from '../ingest/routes/operations.js';
import { NOTIFICATION_STATUS_OPERATION } from './constants.js';

/** What `handleNotificationStatusRequest` serves, as `GET metadata` lists it. */
export const NOTIFICATION_STATUS_OPERATIONS: readonly FhirOperation[] = [
  {
    name: NOTIFICATION_STATUS_OPERATION.replace(/^\$/, ''),
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}notification-status`,
    documentation:
      'GET [base]/$notification-status (admin): what the connector knows of each source Subscription that sends it backport notifications (last event number, last notification, heartbeat, gaps and catch-ups).',
  },
];
