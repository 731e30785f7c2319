export * from './constants.js';
export { DynamoJobStore } from './DynamoJobStore.js';
export { handleBackfillRequest } from './handleBackfillRequest.js';
export type { BackfillRouteDeps } from './handleBackfillRequest.js';
export { InMemoryJobStore } from './InMemoryJobStore.js';
export type { JobStore } from './JobStore.js';
export { jobStatusResource } from './jobStatusResource.js';
export { parseTriggerParameters, searchUrlType } from './parseTriggerParameters.js';
export type { TriggerInput } from './parseTriggerParameters.js';
export { parseWorkMessage } from './parseWorkMessage.js';
export { createWorkProcessor } from './createWorkProcessor.js';
export type { BackfillWorkerDeps, WorkOutcome } from './createWorkProcessor.js';
export { InMemoryWorkQueue } from './InMemoryWorkQueue.js';
export { SqsWorkQueue } from './SqsWorkQueue.js';
export { subscriptionLookup } from './subscriptionLookup.js';
export { FINAL_JOB_STATES, JOB_STATES } from './types.js';
export type {
  BackfillJob,
  BackfillLogger,
  CriteriaCompiler,
  JobCounts,
  JobState,
  PageCommit,
  StreamCursor,
  SubscriptionLookup,
  WorkMessage,
  WorkQueue,
} from './types.js';
