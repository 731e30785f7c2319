import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { normalizeEndpoint } from '../shared/subscriptions/endpoints.js';
import { SQL_TARGET_NAME_PATTERN } from '../shared/subscriptions/sqlEndpoint.js';
import { LocalConfigError, type LocalConfig } from './config.js';
import { rememberStandins, type RememberedStandins } from './dataDir.js';
import type { LocalLogger } from './localLogger.js';
import { listenError } from './portCheck.js';
import {
  clientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
  type ConnectorResources,
} from './standins/aws.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './standins/pglite.js';
import {
  seedFromFolder,
  startFhirSourceStandin,
  startHealthLakeStandin,
  type FhirStandin,
} from './standins/healthlake/index.js';
import { openJournaledStore } from './standins/healthlake/storeJournal.js';

/** Steps that undo what was started, run in reverse order at shutdown. */
export type Cleanups = (() => Promise<void> | void)[];

/** What the Lambda runtime would find around it: AWS services, HealthLake, the source server. */
export interface LocalServices {
  readonly aws?: AwsStandins;
  readonly endpoints: {
    readonly sqsEndpoint?: string;
    readonly s3Endpoint?: string;
    readonly dynamoEndpoint?: string;
  };
  /** Whether an endpoint is one of the embedded stand-ins (they take fixed test credentials). */
  isStandin(endpoint: string): boolean;
  readonly resources: ConnectorResources;
  /** The event source mapping pollers' client (Lambda's service side, not the functions'). */
  readonly sqs: SQSClient;
  /** The HealthLake + STS stand-in, unless a real endpoint was configured. */
  readonly healthlake?: FhirStandin;
  readonly healthLakeEndpoint: string;
  /** Normalised `--additional-healthlake-endpoint`s (the stand-in serves those on its host and port). */
  readonly additionalEndpoints: readonly string[];
  readonly stsEndpoint?: string;
  /** The source FHIR server stand-in, when started. */
  readonly source?: FhirStandin;
  readonly sourceFhirBaseUrl?: string;
  /** The SQL target's database, unless `sql` is off: `--sql-url`, or the embedded PGlite. */
  readonly sql?: { readonly url: string; readonly embedded?: EmbeddedPostgres };
}

/** The SQL target's database: a configured server, the embedded PGlite, or none. */
const startSqlDatabase = async (config: LocalConfig, cleanups: Cleanups): Promise<LocalServices['sql']> => {
  if (config.sql === 'off' && config.sqlUrl === undefined) return undefined;
  if (!SQL_TARGET_NAME_PATTERN.test(config.sqlTarget))
    throw new LocalConfigError(
      '--sql-target / HLC_SQL_TARGET must be lower case letters, digits and "-", a letter first',
    );
  if (config.sqlUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(config.sqlUrl))
      throw new LocalConfigError('--sql-url / HLC_SQL_URL must be a postgres:// URL');
    return { url: config.sqlUrl };
  }
  const embedded = await startEmbeddedPostgres({ host: config.host });
  cleanups.push(() => embedded.stop());
  return { url: embedded.url, embedded };
};

/**
 * The data store ids the HealthLake stand-in must serve besides its own: those of additional endpoints
 * on its host and (fixed) port. Throws for an endpoint that is not an http(s) URL.
 */
const standinDatastoreIds = (config: LocalConfig): { endpoints: string[]; ids: string[] } => {
  const endpoints: string[] = [];
  const ids: string[] = [];
  for (const raw of config.additionalHealthLakeEndpoints) {
    const endpoint = normalizeEndpoint(raw);
    if (!endpoint) throw new LocalConfigError('--additional-healthlake-endpoint is not an http(s) URL');
    endpoints.push(endpoint);
    const url = new URL(endpoint);
    const id = /^\/datastore\/([A-Za-z0-9_-]{1,64})\/r4\/$/.exec(url.pathname)?.[1];
    const onStandin =
      !config.healthLakeEndpoint &&
      config.healthLakePort !== 0 &&
      url.hostname === config.host &&
      Number(url.port) === config.healthLakePort;
    if (onStandin && id) ids.push(id);
  }
  return { endpoints, ids };
};

/**
 * Starts the stand-ins the configuration does not replace and creates the connector's queues, table
 * and bucket in them. Every started piece registers its stop in `cleanups`, also when a later step fails.
 */
export const startLocalServices = async (
  config: LocalConfig,
  log: LocalLogger,
  cleanups: Cleanups,
  remembered: RememberedStandins = {},
): Promise<LocalServices> => {
  let healthlakeStarting: Promise<FhirStandin | undefined> = Promise.resolve(undefined);
  // With a data folder, each FHIR stand-in's store is a journal on disk, closed after its server stops.
  const storeIn = (name: string) => {
    if (!config.dataDir) return {};
    const journaled = openJournaledStore(join(config.dataDir, `${name}.ndjson`));
    cleanups.push(() => journaled.close());
    if (journaled.restored > 0)
      log.info('Stand-in data restored', { standin: name, versions: journaled.restored });
    return { store: journaled.store };
  };
  let sqlStarting: Promise<LocalServices['sql']> = Promise.resolve(undefined);
  try {
    const additional = standinDatastoreIds(config);
    // The HealthLake stand-in loads the FHIR definitions (the slowest step): start it first, in parallel.
    healthlakeStarting = config.healthLakeEndpoint
      ? Promise.resolve(undefined)
      : startHealthLakeStandin({
          host: config.host,
          port: config.healthLakePort,
          region: config.region,
          roleArn: config.roleArn,
          externalId: config.externalId || null,
          notSupportedTypes: config.unsupportedTypes,
          maxBundleEntries: config.healthLakeMaxBundleEntries,
          faults: { ...config.faults },
          additionalDatastoreIds: additional.ids,
          ...storeIn('healthlake'),
          ...(remembered.datastoreId ? { datastoreId: remembered.datastoreId } : {}),
        }).catch((error: unknown) => {
          throw listenError(error, 'healthLakePort', config.host, config.healthLakePort);
        });
    healthlakeStarting.then(
      (standin) => standin && cleanups.push(() => standin.stop()),
      () => undefined,
    );
    // PGlite takes seconds to load too: in parallel as well.
    sqlStarting = startSqlDatabase(config, cleanups);
    sqlStarting.catch(() => undefined);
    // 1. SQS/S3 and DynamoDB: the stand-ins unless every endpoint points elsewhere.
    const needAws = !config.sqsEndpoint || !config.s3Endpoint || !config.dynamoEndpoint;
    const aws = needAws
      ? await startAwsStandins({ host: config.host, ...(config.dataDir ? { dataDir: config.dataDir } : {}) })
      : undefined;
    if (aws) cleanups.push(() => aws.stop());
    const endpoints = {
      sqsEndpoint: config.sqsEndpoint ?? aws?.sqsEndpoint,
      s3Endpoint: config.s3Endpoint ?? aws?.s3Endpoint,
      dynamoEndpoint: config.dynamoEndpoint ?? aws?.dynamoEndpoint,
    };
    const isStandin = (endpoint: string) => endpoint === aws?.sqsEndpoint || endpoint === aws?.dynamoEndpoint;
    const resources = await createConnectorResources({
      endpoints,
      names: { prefix: config.resourcePrefix },
      maxReceiveCount: config.maxReceiveCount,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      region: config.region,
      isStandin,
    });
    const sqs = new SQSClient(clientConfig(endpoints.sqsEndpoint, config.region, isStandin));
    cleanups.push(() => sqs.destroy());

    // 2. HealthLake + STS: the stand-in unless a data store URL is configured.
    const healthlake = await healthlakeStarting;
    const healthLakeEndpoint = normalizeEndpoint(config.healthLakeEndpoint ?? healthlake?.endpoint ?? '');
    if (!healthLakeEndpoint) throw new LocalConfigError('--healthlake-endpoint is not an http(s) URL');
    const stsEndpoint = config.stsEndpoint ?? healthlake?.stsEndpoint;

    // 3. Source FHIR server for backfill: configured, or the stand-in (optionally seeded).
    const source =
      !config.sourceFhirBaseUrl && config.sourceStandin
        ? await startFhirSourceStandin({
            host: config.host,
            port: config.sourcePort,
            ...storeIn('source'),
          }).catch((error: unknown) => {
            throw listenError(error, 'sourcePort', config.host, config.sourcePort);
          })
        : undefined;
    if (source) cleanups.push(() => source.stop());
    if (source && config.sourceSeedDir) {
      const seeded = await seedFromFolder(source.store, config.sourceSeedDir);
      log.info('Source stand-in seeded', { folder: config.sourceSeedDir, ...seeded });
    }
    const sourceFhirBaseUrl = config.sourceFhirBaseUrl ?? source?.endpoint;
    if (config.dataDir) {
      const portOf = (standin: FhirStandin | undefined) =>
        standin ? Number(new URL(standin.endpoint).port) : undefined;
      rememberStandins(config.dataDir, {
        ...(healthlake
          ? { datastoreId: healthlake.datastoreId, healthLakePort: portOf(healthlake) }
          : remembered),
        ...(source ? { sourcePort: portOf(source) } : {}),
      });
    }
    if (!sourceFhirBaseUrl) log.warn('No source FHIR server: $trigger-subscription jobs will fail to read');
    const sql = await sqlStarting;

    return {
      ...(aws ? { aws } : {}),
      endpoints,
      isStandin,
      resources,
      sqs,
      ...(healthlake ? { healthlake } : {}),
      healthLakeEndpoint,
      additionalEndpoints: additional.endpoints.filter((endpoint) => endpoint !== healthLakeEndpoint),
      ...(stsEndpoint ? { stsEndpoint } : {}),
      ...(source ? { source } : {}),
      ...(sourceFhirBaseUrl ? { sourceFhirBaseUrl } : {}),
      ...(sql ? { sql } : {}),
    };
  } catch (error) {
    // Let a HealthLake stand-in or database still starting register its stop before the caller cleans up.
    await healthlakeStarting.catch(() => undefined);
    await sqlStarting.catch(() => undefined);
    throw error;
  }
};
