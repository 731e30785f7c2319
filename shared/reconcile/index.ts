export * from './constants.js';
export { classifyResource, versionOf } from './classifyResource.js';
export type { Classification } from './classifyResource.js';
export { createReconcileProcessor } from './createReconcileProcessor.js';
export type { ReconcileOutcome, ReconcileReader, ReconcileWorkerDeps } from './createReconcileProcessor.js';
export { DynamoReconcileJobStore } from './DynamoReconcileJobStore.js';
export { ELEMENTS_ID_META, FhirLookup } from './FhirLookup.js';
export { handleReconcileRequest } from './handleReconcileRequest.js';
export type { ReconcileRouteDeps } from './handleReconcileRequest.js';
export { S3IdListSink, idListLocation } from './IdListSink.js';
export type { IdListLine, IdListSink } from './IdListSink.js';
export { parseReconcileMessage } from './parseReconcileMessage.js';
export { parseReconcileParameters } from './parseReconcileParameters.js';
export type { ReconcileInput } from './parseReconcileParameters.js';
export { planStreams, searchableTypes } from './planStreams.js';
export type { ReconcileJobStore } from './ReconcileJobStore.js';
export { reconcileStatusResource, totalTally } from './reconcileStatusResource.js';
export { FINAL_STATES, OUTCOMES, RECONCILE_MODES, emptyTally } from './types.js';
export type {
  JobState,
  Outcome,
  ReconcileJob,
  ReconcileMessage,
  ReconcileMode,
  ReconcilePageCommit,
  ReconcileScope,
  ReconcileStream,
  Tally,
} from './types.js';
