import { ENV } from '../config/constants.js';
import { endpointVar } from '../config/awsEnv.js';
import { intVar, optionalVar, requiredVar } from '../config/envVar.js';
import { RECONCILE_DEFAULTS, RECONCILE_ENV } from '../reconcile/constants.js';
import { DELIVERER_CONTRACT } from './delivererContract.js';
import { RECONCILE_SOURCE_ENV } from './sourceFhirEnv.js';
import { WRITE_PIPELINE_ENV } from './writePipelineEnv.js';

/** The reconcile worker Lambda (lambdas/reconcile-worker): the write pipeline, the source, HealthLake reads. */
export const RECONCILE_WORKER_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  stsEndpoint: endpointVar('sts'),
  reconcileQueueUrl: requiredVar(
    RECONCILE_ENV.queueUrl,
    'The reconcile work queue (the worker enqueues pages).',
  ),
  connectorId: DELIVERER_CONTRACT.connectorId,
  healthLakeRoleArn: DELIVERER_CONTRACT.healthLakeRoleArn,
  healthLakeExternalId: DELIVERER_CONTRACT.healthLakeExternalId,
  healthLakeSessionDurationSeconds: DELIVERER_CONTRACT.healthLakeSessionDurationSeconds,
  healthLakeRegion: optionalVar(ENV.healthLakeRegion, 'Signing region (unset = from the endpoint host).'),
  reconcileSourceRequestsPerSecond: intVar(
    RECONCILE_ENV.sourceRequestsPerSecond,
    'Source reads per second per worker (0 = unlimited); replaces SOURCE_FHIR_REQUESTS_PER_SECOND here.',
    RECONCILE_DEFAULTS.sourceRequestsPerSecond,
    { min: 0, max: 10_000 },
    'stack',
  ),
  healthLakeRequestsPerSecond: intVar(
    RECONCILE_ENV.healthLakeRequestsPerSecond,
    'HealthLake reads per second per worker (0 = unlimited; the read quota is shared).',
    RECONCILE_DEFAULTS.healthLakeRequestsPerSecond,
    { min: 0, max: 10_000 },
    'stack',
  ),
  pageSize: intVar(
    RECONCILE_ENV.pageSize,
    '`_count` of reconcile pages.',
    RECONCILE_DEFAULTS.pageSize,
    { min: 1, max: 1000 },
    'stack',
  ),
  reconcileMaxReceives: intVar(
    RECONCILE_ENV.maxReceives,
    "On this receive of a page, an error that would be retried fails the job with its cause instead, before the queue's redrive policy moves the page without one: the queue's maxReceiveCount.",
    5,
    { min: 1, max: 1000 },
    'stack',
  ),
  ...RECONCILE_SOURCE_ENV,
} as const;
