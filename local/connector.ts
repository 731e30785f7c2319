import type { SQSClient } from '@aws-sdk/client-sqs';
import { loadLocalConfig, type LocalConfig } from './config.js';
import { openDataDir, withRememberedPorts } from './dataDir.js';
import type { EventSourceMapping } from './eventSourceMapping.js';
import { startLocalFunctions } from './functions.js';
import { createLocalLogger, type LocalLogger } from './localLogger.js';
import { LocalStats } from './LocalStats.js';
import { checkLocalPorts } from './portCheck.js';
import type { Progress } from './progress.js';
import { startLocalServices, type Cleanups } from './services.js';
import type { AwsStandins, ConnectorResources } from './standins/aws.js';
import type { FhirStandin } from './standins/healthlake/index.js';
import type { LocalConfigView } from '../shared/operator/localAdmin.js';
import { sqlEndpoint } from '../shared/subscriptions/sqlEndpoint.js';

/**
 * Options of `startConnector`: any LocalConfig field, plus where flags/env come from. Called with
 * neither `argv` nor `env` (tests, benchmarks), the SQL target is off unless `sql` or `sqlUrl` is
 * given; `npm start` passes both, so there it is on (embedded) by default.
 */
export interface StartConnectorOptions extends Partial<Omit<LocalConfig, 'faults'>> {
  readonly faults?: Partial<LocalConfig['faults']>;
  /** Command-line flags to read (default none). */
  readonly argv?: readonly string[];
  /** Environment to read HLC_* variables from (default: none, so tests are not affected by the shell). */
  readonly env?: NodeJS.ProcessEnv;
  /** HealthLake response timeout, ms (default 10 000; tests with timeout faults use less). */
  readonly healthLakeTimeoutMs?: number;
  /** Pace writes after a 429 (default true; `npm run bench -- quota` compares both). */
  readonly adaptivePacing?: boolean;
  /** Where log lines go (default stderr). */
  readonly logWrite?: (line: string) => void;
}

/** A running local connector. */
export interface LocalConnector {
  readonly config: LocalConfig;
  /** FHIR base URL of the ingest API. */
  readonly apiUrl: string;
  /** The development bearer token, admin scope (its sha256 is what the ingest API accepts). */
  readonly token: string;
  /** A producer token, write scope only (FHIR writes, transactions, batches). */
  readonly writeToken: string;
  /** The HealthLake endpoint the auto-managed subscription targets. */
  readonly healthLakeEndpoint: string;
  /** Further data stores deliveries may target (`--additional-healthlake-endpoint`), normalised. */
  readonly additionalEndpoints: readonly string[];
  /** The HealthLake + STS stand-in, unless a real endpoint was configured. */
  readonly healthlake?: FhirStandin;
  /**
   * The SQL target, when on: its name (Subscriptions deliver to `sql://<name>`), its database's URL
   * (the embedded PGlite's, or `--sql-url`) and whether it is the embedded one.
   */
  readonly sql?: {
    readonly name: string;
    readonly endpoint: string;
    readonly url: string;
    readonly embedded: boolean;
  };
  /** The SQL writer's poller on the SQL queue, when the SQL target is on. */
  readonly sqlDelivery?: EventSourceMapping;
  /** The source FHIR server stand-in, when started. */
  readonly source?: FhirStandin;
  readonly sourceFhirBaseUrl?: string;
  readonly aws?: AwsStandins;
  readonly resources: ConnectorResources;
  readonly sqsEndpoint?: string;
  /** An SQS client for the connector's queues (tests, the CLI functions). */
  readonly sqs: SQSClient;
  readonly autoSubscriptionId?: string;
  readonly stats: LocalStats;
  readonly delivery: EventSourceMapping;
  readonly backfill: EventSourceMapping;
  readonly reconcile: EventSourceMapping;
  /** What `/_local/config` serves. */
  readonly view: LocalConfigView;
  /** Milliseconds from the call to ready. */
  readonly readyMs: number;
  readonly logger: LocalLogger;
  /** Lets log lines move the live progress line out of the way. */
  attachProgress(progress: Progress): void;
  stop(): Promise<void>;
}

/**
 * Starts the complete connector locally and resolves when it is ready to accept writes: the services
 * around the Lambdas (local/services.ts), then the functions behind their triggers (local/functions.ts).
 *
 * @example
 * const connector = await startConnector({ apiPort: 0, unsupportedTypes: ['Goal'] });
 * await fetch(`${connector.apiUrl}/Patient/1`, { method: 'PUT', headers: { authorization: `Bearer ${connector.token}` }, body });
 * await connector.stop();
 */
export const startConnector = async (options: StartConnectorOptions = {}): Promise<LocalConnector> => {
  const started = Date.now();
  const { argv, env, healthLakeTimeoutMs, adaptivePacing, logWrite, faults, ...overrides } = options;
  const base = loadLocalConfig(argv ?? [], env ?? {});
  const programmatic = argv === undefined && env === undefined ? { sql: 'off' as const } : {};
  const given: LocalConfig = {
    ...base,
    ...programmatic,
    ...overrides,
    faults: { ...base.faults, ...faults },
  };
  // A data folder remembers the stand-ins' data store id and ports: their URLs must not change.
  const remembered = given.dataDir ? openDataDir(given.dataDir) : undefined;
  const config = remembered ? withRememberedPorts(given, remembered) : given;
  const stats = new LocalStats();
  const hooks: { beforeLog?: () => void } = {};
  const logger = createLocalLogger({
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    beforeWrite: () => hooks.beforeLog?.(),
    ...(logWrite ? { write: logWrite } : {}),
  });
  const log = logger.child('local');
  const cleanups: Cleanups = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn('Shutdown step failed', { error });
      }
    }
  };

  try {
    // A taken port fails here, naming its option, before any stand-in or the auto Subscription starts.
    await checkLocalPorts(config);
    const services = await startLocalServices(config, log, cleanups, remembered);
    const functions = await startLocalFunctions({
      config,
      services,
      stats,
      logger,
      tuning: {
        ...(healthLakeTimeoutMs === undefined ? {} : { healthLakeTimeoutMs }),
        ...(adaptivePacing === undefined ? {} : { adaptivePacing }),
        ...(env ? { env } : {}),
      },
      cleanups,
    });
    const { aws, healthlake, source, sourceFhirBaseUrl } = services;
    return {
      config,
      apiUrl: functions.apiUrl,
      token: functions.token,
      writeToken: functions.writeToken,
      healthLakeEndpoint: services.healthLakeEndpoint,
      additionalEndpoints: services.additionalEndpoints,
      ...(healthlake ? { healthlake } : {}),
      ...(services.sql && functions.sqlDelivery
        ? {
            sql: {
              name: config.sqlTarget,
              endpoint: sqlEndpoint(config.sqlTarget),
              url: services.sql.url,
              embedded: services.sql.embedded !== undefined,
            },
            sqlDelivery: functions.sqlDelivery,
          }
        : {}),
      ...(source ? { source } : {}),
      ...(sourceFhirBaseUrl ? { sourceFhirBaseUrl } : {}),
      ...(aws ? { aws } : {}),
      resources: services.resources,
      ...(services.endpoints.sqsEndpoint ? { sqsEndpoint: services.endpoints.sqsEndpoint } : {}),
      sqs: services.sqs,
      ...(functions.autoSubscriptionId ? { autoSubscriptionId: functions.autoSubscriptionId } : {}),
      stats,
      delivery: functions.delivery,
      backfill: functions.backfill,
      reconcile: functions.reconcile,
      view: functions.view,
      readyMs: Date.now() - started,
      logger,
      attachProgress: (progress) => {
        hooks.beforeLog = () => progress.clear();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
