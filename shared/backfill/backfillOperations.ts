import { TRIGGER_SUBSCRIPTION_OPERATION } from '../ingest/routes/capabilityStatement.js';
import { OPERATION_DEFINITION_BASE, type FhirOperation } from '../ingest/routes/operations.js';

/** What `handleBackfillRequest` serves, as `GET metadata` lists it. */
export const BACKFILL_OPERATIONS: readonly FhirOperation[] = [
  TRIGGER_SUBSCRIPTION_OPERATION,
  {
    name: 'backfill-job',
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}backfill-job`,
    documentation:
      'GET [base]/$backfill-job/{jobId}: the progress of a $trigger-subscription job (per type stream: pages, read, enqueued, done). DELETE [base]/$backfill-job/{jobId} or POST [base]/$backfill-job/{jobId}/$cancel cancels it.',
  },
];
