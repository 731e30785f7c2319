export { queueStatus, type QueueDepth } from './queueStatus.js';
export { peekMessages, releaseMessages } from './peekMessages.js';
export { describeDlqMessage, unwrapDeliveryMessage, type DlqEntry } from './describeDlqMessage.js';
export { redriveDlq, type RedriveOptions, type RedriveResult } from './redriveDlq.js';
export {
  FhirApiClient,
  outcomeDiagnostics,
  type ApiResponse,
  type FhirApiClientOptions,
} from './FhirApiClient.js';
export {
  listFhirFiles,
  readRequests,
  requestsFor,
  sendResources,
  type SendFailure,
  type SendItem,
  type SendSummary,
} from './sendResources.js';
export {
  buildSubscription,
  createSubscription,
  deleteSubscription,
  formatSubscription,
  getSubscription,
  listSubscriptions,
  subscriptionsOf,
  type NewSubscription,
} from './subscriptionOps.js';
export {
  cancelBackfillJob,
  getBackfillJob,
  jobPath,
  startBackfill,
  toJobView,
  triggerParameters,
  type JobView,
  type StartedBackfill,
} from './backfillOps.js';
export {
  fetchLocalJson,
  LOCAL_ADMIN_PREFIX,
  type LocalConfigView,
  type LocalStatsView,
} from './localAdmin.js';
