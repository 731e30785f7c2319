import { OPERATION_DEFINITION_BASE, type FhirOperation } from '../ingest/routes/operations.js';
import { NOTIFICATION_OPERATION, NOTIFICATION_STATUS_OPERATION } from './constants.js';

/** What `notificationRoute` serves (only when notification sources are configured), as `GET metadata` lists it. */
export const NOTIFICATION_OPERATIONS: readonly FhirOperation[] = [
  {
    name: NOTIFICATION_OPERATION.replace(/^\$/, ''),
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}subscription-notification`,
    documentation:
      'POST [base]/$subscription-notification (write scope) with a FHIR Subscriptions Backport notification Bundle from a configured source Subscription (its channel.endpoint): full-resource entries are replicated, id-only foci read from the source server, missed events and silent sources caught up.',
  },
];

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
