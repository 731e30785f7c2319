import { ENV } from '../config/constants.js';
import { endpointVar } from '../config/awsEnv.js';
import { intVar, optionalVar, requiredVar } from '../config/envVar.js';
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
  backfillMaxReceives: intVar(
    ENV.backfillMaxReceives,
    "On this receive of a page, the worker settles what still fails (dead-letters its reads, or fails the job) before the queue's redrive policy moves it: the queue's maxReceiveCount.",
    5,
    { min: 1, max: 1000 },
    'stack',
  ),
  ...SOURCE_FHIR_ENV,
} as const;
