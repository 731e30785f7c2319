import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { sigV4Auth } from '../shared/fhirClient/sigV4Auth.js';
import { FhirApiClient } from '../shared/operator/FhirApiClient.js';
import {
  fetchLocalAdmin,
  type LocalAdminResult,
  type LocalConfigView,
} from '../shared/operator/localAdmin.js';
import { readStackOutputs, type StackSettings } from '../shared/operator/stackOutputs.js';

/** Resolved CLI configuration: flags win over environment variables, which win over local discovery. */
export interface CliConfig {
  readonly apiUrl: string;
  readonly token?: string;
  /**
   * How the ingest API is called: `bearer` (the token) or `iam` (SigV4, service `execute-api`, with
   * credentials from the SDK's default chain), for a stack deployed with `ingest.authMode: "iam"`.
   */
  readonly auth: ApiAuthMode;
  readonly region: string;
  readonly sqsEndpoint?: string;
  readonly deliveryQueueUrl?: string;
  readonly dlqUrl?: string;
  readonly backfillQueueUrl?: string;
  readonly backfillDlqUrl?: string;
  /** The SQL target's queue and DLQ (stack outputs SqlQueueUrl, SqlDeadLetterQueueUrl; local discovery). */
  readonly sqlQueueUrl?: string;
  readonly sqlDlqUrl?: string;
  /** Connector id: the `connector` dimension of its CloudWatch metrics (deployed stacks). */
  readonly connectorId?: string;
  /** Data store ids whose per-data-store counts `hlc status` reads from CloudWatch (deployed stacks). */
  readonly dataStores?: readonly string[];
  /** CloudWatch endpoint override (compatible services, tests). */
  readonly cloudWatchEndpoint?: string;
  /** The deliverer's event source mapping (stack output), or the function to find it by. */
  readonly deliveryMappingId?: string;
  readonly delivererFunction?: string;
  /** Lambda endpoint override (compatible services, tests). */
  readonly lambdaEndpoint?: string;
  /** Where `/_local/*` is served (local mode only). */
  readonly localUrl: string;
  /** From `/_local/config` when the CLI talks to local mode. */
  readonly local?: LocalConfigView;
  /** Why local mode could not be asked for the queue URLs (connection refused, 401, 403), when it was tried. */
  readonly discoveryProblem?: string;
  /** `--stack`/`HLC_STACK`: the stack whose outputs filled in what flags and variables did not. */
  readonly stack?: string;
}

export const API_AUTH_MODES = ['bearer', 'iam'] as const;
export type ApiAuthMode = (typeof API_AUTH_MODES)[number];

/** Global flags every command accepts. */
export const GLOBAL_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  iam: { type: 'boolean' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'delivery-queue-url': { type: 'string' },
  'dlq-url': { type: 'string' },
  'backfill-queue-url': { type: 'string' },
  'backfill-dlq-url': { type: 'string' },
  'sql-queue-url': { type: 'string' },
  'sql-dlq-url': { type: 'string' },
  'local-url': { type: 'string' },
  'cloudwatch-endpoint': { type: 'string' },
  'delivery-mapping-id': { type: 'string' },
  'deliverer-function': { type: 'string' },
  'lambda-endpoint': { type: 'string' },
  'connector-id': { type: 'string' },
  stack: { type: 'string' },
  'data-stores': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

type Flags = Partial<Record<keyof typeof GLOBAL_OPTIONS, string | boolean>>;

const text = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * Resolves configuration: flags win over environment variables, which win over the outputs of
 * `--stack`/`HLC_STACK` (read with CloudFormation DescribeStacks; endpoint AWS_ENDPOINT_URL_CLOUDFORMATION),
 * which win over local discovery and the defaults. Environment: HLC_API_URL, HLC_TOKEN, AWS_REGION, HLC_SQS_ENDPOINT (or the
 * SDK's AWS_ENDPOINT_URL_SQS), HLC_DELIVERY_QUEUE_URL, HLC_DLQ_URL, HLC_BACKFILL_QUEUE_URL,
 * HLC_BACKFILL_DLQ_URL, HLC_SQL_QUEUE_URL, HLC_SQL_DLQ_URL, HLC_LOCAL_URL, HLC_CONNECTOR_ID, HLC_DATA_STORES, HLC_DELIVERY_MAPPING_ID, HLC_DELIVERER_FUNCTION,
 * HLC_LAMBDA_ENDPOINT (or AWS_ENDPOINT_URL_LAMBDA), HLC_AUTH (`bearer` or `iam`; `--iam`). Missing queue
 * URLs are discovered from a running local connector's `/_local/config` (`discover`).
 */
export const resolveCliConfig = async (
  flags: Flags,
  env: NodeJS.ProcessEnv,
  options: { discover: boolean },
): Promise<CliConfig> => {
  const region = text(flags.region) ?? text(env.AWS_REGION) ?? text(env.AWS_DEFAULT_REGION) ?? undefined;
  const stack = text(flags.stack) ?? text(env.HLC_STACK);
  const outputs: StackSettings = stack ? await stackSettings(stack, region ?? 'us-east-1', env) : {};
  const apiUrl = text(flags.api) ?? text(env.HLC_API_URL) ?? outputs.apiUrl ?? DEFAULT_API_URL;
  const localUrl = text(flags['local-url']) ?? text(env.HLC_LOCAL_URL) ?? apiUrl;
  const explicit = {
    deliveryQueueUrl:
      text(flags['delivery-queue-url']) ?? text(env.HLC_DELIVERY_QUEUE_URL) ?? outputs.deliveryQueueUrl,
    dlqUrl: text(flags['dlq-url']) ?? text(env.HLC_DLQ_URL) ?? outputs.dlqUrl,
    backfillQueueUrl:
      text(flags['backfill-queue-url']) ?? text(env.HLC_BACKFILL_QUEUE_URL) ?? outputs.backfillQueueUrl,
    backfillDlqUrl:
      text(flags['backfill-dlq-url']) ?? text(env.HLC_BACKFILL_DLQ_URL) ?? outputs.backfillDlqUrl,
    sqlQueueUrl: text(flags['sql-queue-url']) ?? text(env.HLC_SQL_QUEUE_URL) ?? outputs.sqlQueueUrl,
    sqlDlqUrl: text(flags['sql-dlq-url']) ?? text(env.HLC_SQL_DLQ_URL) ?? outputs.sqlDlqUrl,
  };
  const token = text(flags.token) ?? text(env.HLC_TOKEN);
  const auth = flags.iam === true ? 'iam' : apiAuthMode(text(env.HLC_AUTH) ?? outputs.auth);
  const discovered: LocalAdminResult<LocalConfigView> | undefined =
    options.discover && !stack && (!explicit.deliveryQueueUrl || !explicit.dlqUrl)
      ? await fetchLocalAdmin<LocalConfigView>(localUrl, 'config', token)
      : undefined;
  const local = discovered?.value;
  const connectorId = text(flags['connector-id']) ?? text(env.HLC_CONNECTOR_ID) ?? outputs.connectorId;
  const dataStores = (text(flags['data-stores']) ?? text(env.HLC_DATA_STORES))
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const cloudWatchEndpoint =
    text(flags['cloudwatch-endpoint']) ??
    text(env.HLC_CLOUDWATCH_ENDPOINT) ??
    text(env.AWS_ENDPOINT_URL_CLOUDWATCH);
  const sqsEndpoint =
    text(flags['endpoint-url']) ??
    text(env.HLC_SQS_ENDPOINT) ??
    text(env.AWS_ENDPOINT_URL_SQS) ??
    local?.sqsEndpoint;
  const deliveryMappingId =
    text(flags['delivery-mapping-id']) ?? text(env.HLC_DELIVERY_MAPPING_ID) ?? outputs.deliveryMappingId;
  const delivererFunction =
    text(flags['deliverer-function']) ?? text(env.HLC_DELIVERER_FUNCTION) ?? outputs.delivererFunction;
  const lambdaEndpoint =
    text(flags['lambda-endpoint']) ?? text(env.HLC_LAMBDA_ENDPOINT) ?? text(env.AWS_ENDPOINT_URL_LAMBDA);
  const deliveryQueueUrl = explicit.deliveryQueueUrl ?? local?.deliveryQueueUrl;
  const dlqUrl = explicit.dlqUrl ?? local?.deliveryDlqUrl;
  const backfillQueueUrl = explicit.backfillQueueUrl ?? local?.backfillQueueUrl;
  const backfillDlqUrl = explicit.backfillDlqUrl ?? local?.backfillDlqUrl;
  const sqlQueueUrl = explicit.sqlQueueUrl ?? local?.sqlQueueUrl;
  const sqlDlqUrl = explicit.sqlDlqUrl ?? local?.sqlDlqUrl;
  return {
    apiUrl,
    localUrl,
    auth,
    region: region ?? local?.region ?? 'us-east-1',
    ...(token ? { token } : {}),
    ...(connectorId ? { connectorId } : {}),
    ...(dataStores && dataStores.length > 0 ? { dataStores } : {}),
    ...(cloudWatchEndpoint ? { cloudWatchEndpoint } : {}),
    ...(deliveryMappingId ? { deliveryMappingId } : {}),
    ...(delivererFunction ? { delivererFunction } : {}),
    ...(lambdaEndpoint ? { lambdaEndpoint } : {}),
    ...(sqsEndpoint ? { sqsEndpoint } : {}),
    ...(deliveryQueueUrl ? { deliveryQueueUrl } : {}),
    ...(dlqUrl ? { dlqUrl } : {}),
    ...(backfillQueueUrl ? { backfillQueueUrl } : {}),
    ...(backfillDlqUrl ? { backfillDlqUrl } : {}),
    ...(sqlQueueUrl ? { sqlQueueUrl } : {}),
    ...(sqlDlqUrl ? { sqlDlqUrl } : {}),
    ...(local ? { local } : {}),
    ...(discovered?.problem ? { discoveryProblem: discovered.problem } : {}),
    ...(stack ? { stack } : {}),
  };
};

/** The stack's outputs, read with the SDK's default credentials in the resolved region. */
const stackSettings = async (
  stack: string,
  region: string,
  env: NodeJS.ProcessEnv,
): Promise<StackSettings> => {
  const endpoint = text(env.AWS_ENDPOINT_URL_CLOUDFORMATION);
  const cloudFormation = new CloudFormationClient({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    return await readStackOutputs(cloudFormation, stack, region);
  } finally {
    cloudFormation.destroy();
  }
};

/** An SQS client for the resolved endpoint (the local stand-in's static credentials when discovered). */
export const sqsClientFor = (config: CliConfig): SQSClient =>
  new SQSClient({
    region: config.region,
    ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
    ...(config.local?.credentials && config.sqsEndpoint === config.local.sqsEndpoint
      ? { credentials: { ...config.local.credentials } }
      : {}),
  });

/** A Lambda client for the delivery switch (the SDK's default credentials and the resolved region). */
export const lambdaClientFor = (config: CliConfig): LambdaClient =>
  new LambdaClient({
    region: config.region,
    ...(config.lambdaEndpoint ? { endpoint: config.lambdaEndpoint } : {}),
  });

const apiAuthMode = (value: string | undefined): ApiAuthMode => {
  const mode = (value ?? 'bearer').toLowerCase();
  if (!(API_AUTH_MODES as readonly string[]).includes(mode)) {
    throw new Error(`HLC_AUTH must be ${API_AUTH_MODES.join(' or ')}`);
  }
  return mode as ApiAuthMode;
};

/** `{api id}.execute-api.{region}.amazonaws.com`: the region an IAM-mode API signs with. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/;

/**
 * The ingest API client for the resolved configuration (with `overrides` from a command's own flags,
 * e.g. smileutil's `--target`): a bearer token, or in IAM mode SigV4 (service `execute-api`, the region
 * of an execute-api host or the configured one) with credentials from the SDK's default chain.
 *
 * @example
 * const api = apiClientFor(config, { headers: { 'x-request-id': 'nightly-sync' } });
 */
export const apiClientFor = (
  config: CliConfig,
  overrides: {
    readonly apiUrl?: string;
    readonly token?: string;
    readonly headers?: Record<string, string>;
  } = {},
  credentials: () => AwsCredentialIdentityProvider = () => fromNodeProviderChain(),
): FhirApiClient => {
  const baseUrl = overrides.apiUrl ?? config.apiUrl;
  const token = overrides.token ?? config.token;
  if (config.auth === 'bearer') {
    return new FhirApiClient({
      baseUrl,
      ...(token ? { token } : {}),
      ...(overrides.headers ? { headers: overrides.headers } : {}),
    });
  }
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    // FhirApiClient reports the invalid URL.
  }
  const region = EXECUTE_API_HOST.exec(host)?.[1] ?? config.region;
  return new FhirApiClient({
    baseUrl,
    auth: sigV4Auth({ region, service: 'execute-api', credentials: credentials() }),
    ...(overrides.headers ? { headers: overrides.headers } : {}),
  });
};
