import { ENV } from '../config/constants.js';
import { endpointVar } from '../config/awsEnv.js';
import {
  boolVar,
  choiceListVar,
  choiceVar,
  intVar,
  isUnset,
  listVar,
  optionalVar,
  type EnvVar,
} from '../config/envVar.js';
import { INGEST_DEFAULTS, INGEST_ENV } from '../ingest/constants.js';
import { RECONCILE_ENV } from '../reconcile/constants.js';
import { SUBSCRIPTION_DEFAULTS } from '../subscriptions/constants.js';
import { parseModuleEndpoints } from '../subscriptions/moduleEndpoints.js';
import { transformsVar } from './transformsVar.js';
import { NOTIFICATION_ENV_VARS } from './notificationEnv.js';
import { WRITE_PIPELINE_ENV } from './writePipelineEnv.js';

/** The ingest Lambda (lambdas/ingest). */
export const INGEST_CONTRACT = {
  ...WRITE_PIPELINE_ENV,
  secretsManagerEndpoint: endpointVar('secretsManager'),
  ssmEndpoint: endpointVar('ssm'),
  backfillQueueUrl: optionalVar(
    ENV.backfillQueueUrl,
    'Backfill work queue URL; set = $trigger-subscription and $backfill-job are served.',
  ),
  reconcileQueueUrl: optionalVar(
    RECONCILE_ENV.queueUrl,
    'Reconcile work queue URL; set (reconcile enabled) = $reconcile and $reconcile-job are served.',
  ),
  authModes: choiceListVar(
    INGEST_ENV.authModes,
    'How producers authenticate: bearer, iam, or bearer,iam.',
    ['bearer', 'iam'] as const,
    ['bearer'],
  ),
  tokenStore: choiceVar(
    INGEST_ENV.tokenStore,
    'Where the hashed bearer tokens live.',
    ['secretsmanager', 'ssm'] as const,
    'secretsmanager',
  ),
  tokenSecretId: optionalVar(ENV.ingestTokenSecretId, 'Secret / SSM parameter holding hashed bearer tokens.'),
  tokenHashes: optionalVar(
    INGEST_ENV.tokenHashes,
    'Local mode only: the hashed token list itself (same JSON as the secret) instead of a secret id.',
    'local',
  ),
  tokenCacheSeconds: intVar(INGEST_ENV.tokenCacheSeconds, 'Token list cache lifetime, seconds.', 120, {
    min: 0,
    max: 3600,
  }),
  maxBundleEntries: intVar(INGEST_ENV.maxBundleEntries, 'Most entries in one Bundle.', 1000, {
    min: 1,
    max: 10_000,
  }),
  validateResources: boolVar(INGEST_ENV.validateResources, 'Run the FHIR structure validator.', true),
  maxBodyBytes: intVar(
    INGEST_ENV.maxBodyBytes,
    'Largest accepted request body, bytes.',
    5 * 1024 * 1024,
    { min: 1024, max: 10 * 1024 * 1024 },
    'stack',
  ),
  maxJsonDepth: intVar(
    INGEST_ENV.maxJsonDepth,
    'Deepest nesting of JSON objects and arrays in a body; deeper answers 400.',
    INGEST_DEFAULTS.maxJsonDepth,
    { min: 8, max: 10_000 },
    'stack',
  ),
  maxClockSkewSeconds: intVar(
    INGEST_ENV.maxClockSkewSeconds,
    'Seconds meta.lastUpdated may lie ahead of the connector clock before 422.',
    INGEST_DEFAULTS.maxClockSkewSeconds,
    { min: 0, max: 7 * 24 * 3600 },
    'stack',
  ),
  maxVersionJump: intVar(
    INGEST_ENV.maxVersionJump,
    'Largest numeric meta.versionId jump past the recorded version without a newer meta.lastUpdated; further answers 422.',
    INGEST_DEFAULTS.maxVersionJump,
    { min: 1, max: 1_000_000_000 },
    'stack',
  ),
  repeatedStaleWrites: intVar(
    INGEST_ENV.repeatedStaleWrites,
    'Stale writes to one recorded version of a resource from which each further one counts in RepeatedStaleWrites.',
    INGEST_DEFAULTS.repeatedStaleWrites,
    { min: 1, max: 1000 },
    'stack',
  ),
  publicBaseUrl: optionalVar(ENV.publicBaseUrl, 'Base URL of Location headers (unset = from the request).'),
  adminPrincipalArns: listVar(
    INGEST_ENV.adminPrincipalArns,
    'IAM mode: caller ARNs allowed the admin routes (a role ARN covers its sessions).',
  ),
  maxSubscriptions: intVar(
    INGEST_ENV.maxSubscriptions,
    'Most Subscriptions the API accepts.',
    SUBSCRIPTION_DEFAULTS.maxSubscriptions,
    { min: 1, max: 10_000 },
    'stack',
  ),
  connectorId: optionalVar(
    ENV.connectorId,
    'Connector id: the `connector` metric dimension, and derives the deployment-owned Subscription id.',
  ),
  autoSubscriptionEnabled: boolVar(
    ENV.autoSubscription,
    'The deployment owns its auto-managed Subscription: the API refuses to change or delete it.',
    false,
    'stack',
  ),
  healthLakeEndpoint: optionalVar(
    ENV.healthLakeEndpoint,
    'The primary data store: where a Subscription without channel.endpoint delivers (Smile CDR style).',
  ),
  moduleEndpoints: {
    name: ENV.healthLakeModuleEndpoints,
    origin: 'stack',
    doc: 'moduleId=endpoint entries (healthLake.moduleEndpoints): Smile awshealthlake-sender-module-id routing; unset = none (an unknown module is refused when set).',
    parse: (raw: string | undefined) =>
      isUnset(raw) ? new Map<string, string>() : parseModuleEndpoints(raw),
  } satisfies EnvVar<ReadonlyMap<string, string>>,
  transforms: transformsVar,
  sourceBaseUrl: optionalVar(
    ENV.sourceFhirBaseUrl,
    'The source FHIR server (backfill and the deliverer read it): set = Subscription criteria only it can evaluate (chains, _has, _text, ...) are accepted, and the deliverer checks them there; unset = they are refused.',
  ),
  backfillTypeOrder: listVar(
    ENV.backfillTypeOrder,
    'Type order of a backfill of everything (unset = supporting types first: Organization, Location, Practitioner, PractitionerRole, Patient).',
    'tuning',
  ),
  ...NOTIFICATION_ENV_VARS,
} as const;
