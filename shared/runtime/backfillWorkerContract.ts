import { ENV } from '../config/constants.js';
import { endpointVar } from '../config/awsEnv.js';
import { optionalVar, requiredVar } from '../config/envVar.js';
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
  backfillDlqUrl: optionalVar(
    ENV.backfillDlqUrl,
    'Its dead-letter queue: a notification read the source keeps failing goes there alone, with its cause (unset: it fails its job).',
  ),
  ...SOURCE_FHIR_ENV,
} as const;
