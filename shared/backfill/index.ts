export * from './constants.js';
export {
  BackfillError,
  PermanentSourceError,
  SourceConfigurationError,
  TransientSourceError,
} from './errors.js';
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
export { createSourceAuth, parseSourceAuthKind } from './source/createSourceAuth.js';
export type { SourceAuthConfig, SourceAuthDeps } from './source/createSourceAuth.js';
export { createSourceReaderFromEnv } from './source/createSourceReaderFromEnv.js';
export { oauth2ClientCredentials } from './source/oauth2ClientCredentials.js';
export type { OAuth2ClientCredentialsOptions } from './source/oauth2ClientCredentials.js';
export { sigV4Auth } from './source/sigV4Auth.js';
export { SOURCE_AUTH_KINDS, basicAuth, bearerAuth, noAuth } from './source/SourceAuth.js';
export type { SourceAuth, SourceAuthKind } from './source/SourceAuth.js';
export { SourceFhirClient, parseRetryAfter } from './source/SourceFhirClient.js';
export type {
  RetryOptions,
  SearchPage,
  SourceFhirClientOptions,
  SourceReader,
} from './source/SourceFhirClient.js';
export { TokenBucket } from './source/TokenBucket.js';
