import { ENV } from '../config/constants.js';
import { endpointVar } from '../config/awsEnv.js';
import { requiredVar } from '../config/envVar.js';
import { SOURCE_FHIR_ENV } from './sourceFhirEnv.js';
import { WRITE_PIPELINE_ENV } from './writePipelineEnv.js';

/** The backfill worker Lambda (lambdas/backfill-worker). */
export const BACKFILL_WORKER_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  backfillQueueUrl: requiredVar(
    ENV.backfillQueueUrl,
    'The page-work queue (the worker enqueues next pages).',
  ),
  ...SOURCE_FHIR_ENV,
} as const;
