import { readFileSync } from 'node:fs';
import { SOURCE_AUTH_KINDS, type SourceAuthKind } from '../../shared/fhirClient/SourceAuth.js';
import type { SyncSourceSettings } from '../../shared/operator/syncSourceClient.js';
import type { Values } from '../cliIo.js';
import { UsageError } from '../usage.js';
import type { REFUSED_SMILEUTIL_OPTIONS } from './syncFlags.js';

/** Why each smileutil option that cannot apply is refused. */
const REFUSED: Readonly<Record<(typeof REFUSED_SMILEUTIL_OPTIONS)[number], string>> = {
  'source-tls-auth':
    'Smile Util TLS JSON files (Java keystores) are not read: give the client certificate, key and CA bundle as PEM files with --source-cert, --source-key and --source-ca',
  'target-tls-auth':
    "the target is the connector's ingest API, reached with a bearer token (--target-bearer-token) or IAM (--iam), not a client certificate",
  'target-basic-auth':
    "the target is the connector's ingest API, which takes a bearer token (--target-bearer-token) or IAM (--iam), not basic auth",
  'semaphore-path':
    'it is not needed: the ingest API orders the writes of each resource itself (one FIFO group per Type/id)',
};

const list = (value: readonly string[] | undefined): string[] =>
  (value ?? []).flatMap((item) => item.split(',')).filter((item) => item !== '');

const text = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** A positive integer flag (smileutil: `--thread-count`, `--target-retry-count`). */
const positive = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer`);
  return parsed;
};

const readPem = (path: string | undefined, flag: string): string | undefined => {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--${flag}: cannot read the file`);
  }
};

/** What `hlc sync` runs with, from its flags and environment, after the smileutil spellings are mapped. */
export interface SyncSettings {
  readonly sources: string[];
  readonly resourceTypes: string[];
  readonly resourceIds: string[];
  readonly synthea: boolean;
  readonly bundlesAsTransactions: boolean;
  readonly parallel?: number;
  readonly retries?: number;
  /** The ingest API, when smileutil's `-t/--target` names it. */
  readonly apiUrl?: string;
  /** The ingest API's token, when `--target-bearer-token` gives it. */
  readonly token?: string;
  readonly requestId?: string;
  readonly source: SyncSourceSettings;
}

/** smileutil's `-m`: COPY (the default) and SYNTHEA apply; COMPARE and others are refused with a reason. */
const syntheaMode = (mode: string | undefined): boolean => {
  const upper = mode?.toUpperCase();
  if (upper === undefined || upper === 'COPY') return false;
  if (upper === 'SYNTHEA') return true;
  if (upper === 'COMPARE') {
    throw new UsageError(
      'sync --mode COMPARE is not supported: sync copies (COPY, or SYNTHEA). To compare a source with HealthLake, run: hlc reconcile start <subscriptionId> --mode compare',
    );
  }
  throw new UsageError('sync --mode must be COPY or SYNTHEA');
};

const sourceAuthKind = (value: string | undefined): SourceAuthKind | undefined => {
  if (value === undefined) return undefined;
  const kind = value.toLowerCase();
  if (!(SOURCE_AUTH_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--source-auth must be one of ${SOURCE_AUTH_KINDS.join(', ')}`);
  }
  return kind as SourceAuthKind;
};

/**
 * Reads `hlc sync`'s settings: positional sources or `-s`, `-r`/`--type`, `--resource-ids`/
 * `--resource-id`, `--thread-count`/`--parallel`, `--target-retry-count`/`--retries`, `-t` and
 * `--target-bearer-token` for the API, `-v R4`, `-m COPY|SYNTHEA`, and the source's authentication
 * (secrets also from HLC_SOURCE_TOKEN, HLC_SOURCE_BASIC_AUTH, HLC_SOURCE_CLIENT_SECRET and
 * HLC_SOURCE_KEY_PASSPHRASE, so they stay out of the process list).
 */
export const syncSettings = (
  positionals: readonly string[],
  values: Values,
  env: NodeJS.ProcessEnv,
): SyncSettings => {
  for (const [option, reason] of Object.entries(REFUSED)) {
    if (values[option as keyof Values] !== undefined)
      throw new UsageError(`sync --${option} cannot apply: ${reason}`);
  }
  const version = values['fhir-version']?.toUpperCase();
  if (version !== undefined && version !== 'R4' && version !== '4.0.1') {
    throw new UsageError('sync --fhir-version must be R4: the connector replicates FHIR R4 only');
  }
  const targets = [...new Set(values.target ?? [])];
  if (targets.length > 1) {
    throw new UsageError(
      "sync takes one --target: it is the connector's ingest API, which scales by itself (smileutil's round-robin over several targets does not apply)",
    );
  }
  if (targets[0] !== undefined && values.api !== undefined && values.api !== targets[0]) {
    throw new UsageError('--target and --api name different ingest APIs: give one');
  }
  const parallel = positive(values['thread-count'], 'thread-count');
  const retries = positive(values['target-retry-count'], 'target-retry-count');
  const tlsCert = readPem(text(values['source-cert']) ?? text(env.HLC_SOURCE_CERT), 'source-cert');
  const tlsKey = readPem(text(values['source-key']) ?? text(env.HLC_SOURCE_KEY), 'source-key');
  const tlsCa = readPem(text(values['source-ca']) ?? text(env.HLC_SOURCE_CA), 'source-ca');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError('client-certificate TLS needs both --source-cert and --source-key');
  }
  const tls = {
    ...(tlsCert === undefined ? {} : { cert: tlsCert }),
    ...(tlsKey === undefined ? {} : { key: tlsKey }),
    ...(tlsCa === undefined ? {} : { ca: tlsCa }),
    ...(tlsKey === undefined || text(env.HLC_SOURCE_KEY_PASSPHRASE) === undefined
      ? {}
      : { passphrase: text(env.HLC_SOURCE_KEY_PASSPHRASE) }),
  };
  const bearerToken = text(values['source-bearer-token']) ?? text(env.HLC_SOURCE_TOKEN);
  const basicAuth = text(values['source-basic-auth']) ?? text(env.HLC_SOURCE_BASIC_AUTH);
  const secretFile = text(values['source-secret-file']);
  const tokenUrl = text(values['source-token-url']);
  const clientSecret = text(values['source-client-secret']) ?? text(env.HLC_SOURCE_CLIENT_SECRET);
  const region = text(values['source-region']);
  const maxResponseBytes = positive(values['max-response-bytes'], 'max-response-bytes');
  const pageSize = positive(values['source-page-size'], 'source-page-size');
  const rate = values['source-requests-per-second'];
  const requestsPerSecond = rate === undefined ? undefined : Number(rate);
  if (requestsPerSecond !== undefined && !(Number.isInteger(requestsPerSecond) && requestsPerSecond >= 0)) {
    throw new UsageError('--source-requests-per-second must be a whole number (0 = unlimited)');
  }
  const requestId = text(values['request-id']);
  const token = text(values['target-bearer-token']);
  return {
    sources: [...positionals, ...(values.source ?? [])],
    resourceTypes: [...list(values.type), ...list(values['resource-types'])],
    resourceIds: [...list(values['resource-id']), ...list(values['resource-ids'])],
    synthea: values.synthea === true || syntheaMode(values.mode),
    bundlesAsTransactions: values['upload-bundles-as-transactions'] === true,
    ...(parallel === undefined ? {} : { parallel }),
    ...(retries === undefined ? {} : { retries }),
    ...(targets[0] === undefined ? {} : { apiUrl: targets[0] }),
    ...(token === undefined ? {} : { token }),
    ...(requestId === undefined ? {} : { requestId }),
    source: {
      ...(sourceAuthKind(text(values['source-auth']) ?? text(env.HLC_SOURCE_AUTH)) === undefined
        ? {}
        : { auth: sourceAuthKind(text(values['source-auth']) ?? text(env.HLC_SOURCE_AUTH)) }),
      ...(bearerToken === undefined ? {} : { bearerToken }),
      ...(basicAuth === undefined ? {} : { basicAuth }),
      ...(secretFile === undefined ? {} : { secretJson: readPem(secretFile, 'source-secret-file') }),
      ...(tokenUrl === undefined
        ? {}
        : {
            oauth2: {
              tokenUrl,
              ...(values['source-client-id'] ? { clientId: values['source-client-id'] } : {}),
              ...(clientSecret === undefined ? {} : { clientSecret }),
              ...(values['source-scope'] ? { scope: values['source-scope'] } : {}),
            },
          }),
      ...(region === undefined
        ? {}
        : {
            sigv4: {
              region,
              ...(values['source-sigv4-service'] ? { service: values['source-sigv4-service'] } : {}),
            },
          }),
      ...(Object.keys(tls).length === 0 ? {} : { tls }),
      ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
      ...(pageSize === undefined ? {} : { pageSize }),
      ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }),
      ...(requestId === undefined ? {} : { requestId }),
    },
  };
};
