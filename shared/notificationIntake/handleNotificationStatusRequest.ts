import { methodNotAllowed } from '../fhir/outcomes.js';
import type { FhirRequest, FhirResponse } from '../http/types.js';
import { fhirJson, outcomeResponse } from '../ingest/routes/responses.js';
import type { SourceSubscriptionStore } from '../notifications/SourceSubscriptionStore.js';
import { NOTIFICATION_STATUS_OPERATION } from './constants.js';
import { notificationStatusResource } from './notificationStatusResource.js';

/**
 * `GET [base]/$notification-status` (admin scope, like every route that does not declare one): the
 * state of each source Subscription (notificationStatusResource). Undefined for other paths.
 */
export const handleNotificationStatusRequest = async (
  request: FhirRequest,
  deps: {
    readonly states: SourceSubscriptionStore;
    readonly now?: () => Date;
    readonly toleranceSeconds?: number;
  },
): Promise<FhirResponse | undefined> => {
  if (request.path.replace(/^\/+|\/+$/g, '') !== NOTIFICATION_STATUS_OPERATION) return undefined;
  if (request.method !== 'GET')
    return outcomeResponse(methodNotAllowed(`${NOTIFICATION_STATUS_OPERATION} takes GET`));
  const now = (deps.now ?? (() => new Date()))().toISOString();
  return fhirJson(200, notificationStatusResource(await deps.states.list(), now, deps.toleranceSeconds));
};
