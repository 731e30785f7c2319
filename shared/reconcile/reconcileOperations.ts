import { OPERATION_DEFINITION_BASE, type FhirOperation } from '../ingest/routes/operations.js';

/** What `handleReconcileRequest` serves, as `GET metadata` lists it. */
export const RECONCILE_OPERATIONS: readonly FhirOperation[] = [
  {
    name: 'reconcile',
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}reconcile`,
    documentation:
      'POST [base]/$reconcile with a Parameters body (subscription, mode compare | repair | repair-and-prune, resourceType, resourceId, searchUrl, since, until, contentHash, pruneConfirmation, compareJob): compares the source FHIR server with HealthLake and repairs or prunes. 202 with the job id.',
  },
  {
    name: 'reconcile-job',
    on: 'system',
    definition: `${OPERATION_DEFINITION_BASE}reconcile-job`,
    documentation:
      'GET [base]/$reconcile-job/{jobId}: the report of a $reconcile job (per type counts and sample ids). DELETE cancels it.',
  },
];
