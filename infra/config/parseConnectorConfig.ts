import type { z } from 'zod';
import { InvalidConfigurationError } from './errors.js';
import {
  connectorConfigSchema,
  HEALTHLAKE_ENDPOINT_PATTERN,
  normalizedEndpoint,
  type ConnectorConfigValues,
} from './schema.js';

/**
 * A HealthLake data store named by an endpoint URL. Its ARN is built in the stack, with the stack's
 * partition (infra/constructs/healthLakeDataStores.ts).
 */
export interface DataStore {
  /** Normalised endpoint, with exactly one trailing `/`. */
  readonly endpoint: string;
  readonly region: string;
  readonly datastoreId: string;
  /** The account owning it. */
  readonly account: string;
  /** Its customer-managed KMS key, when it has one. */
  readonly kmsKeyArn?: string;
}

/** The validated configuration plus the values derived from it, which every stack reads. */
export interface ConnectorConfig extends ConnectorConfigValues {
  /** The configured data store, first of `dataStores`. */
  readonly dataStore: DataStore;
  /** Every data store a Subscription may target (the allow-list), the configured one first. */
  readonly dataStores: readonly DataStore[];
  /** Account owning the data stores: the customer role's account, or the connector's own. */
  readonly dataStoreAccount: string;
  /** Client-assigned id of the auto-managed Subscription (connector id, `_` becomes `-`). */
  readonly autoSubscriptionId: string;
}

const issueText = (issue: z.core.$ZodIssue): string => {
  const path = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${path === '(top level)' ? '' : `${path}: `}unknown option${issue.keys.length === 1 ? '' : 's'} ${issue.keys
      .map((key) => `"${key}"`)
      .join(', ')} (check the spelling)`;
  }
  // A record key that fails its check: zod says "Invalid key in record"; its own message says why.
  if (issue.code === 'invalid_key') return `${path}: ${issue.issues[0]?.message ?? issue.message}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `${path}: is required`;
  return `${path}: ${issue.message}`;
};

/**
 * The data store an endpoint URL names (in `account`, with its key if given), or undefined if it is not
 * a HealthLake endpoint.
 */
export const healthLakeDataStoreOf = (
  endpoint: string,
  account: string,
  kmsKeyArn?: string,
): DataStore | undefined => {
  const match = HEALTHLAKE_ENDPOINT_PATTERN.exec(endpoint);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  const [, region, datastoreId] = match;
  return {
    endpoint: `https://healthlake.${region}.amazonaws.com/datastore/${datastoreId}/r4/`,
    region,
    datastoreId,
    account,
    ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }),
  };
};

/**
 * Validates a raw configuration object and derives the values the stacks need.
 * Throws InvalidConfigurationError listing every problem at once.
 *
 * @example
 * const config = parseConnectorConfig(JSON.parse(readFileSync('connector.config.json', 'utf8')), 'connector.config.json');
 */
export const parseConnectorConfig = (raw: unknown, source = 'configuration'): ConnectorConfig => {
  const result = connectorConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidConfigurationError(source, result.error.issues.map(issueText));
  }
  const values = result.data;
  const access = values.healthLake.access;
  const dataStoreAccount =
    access.mode === 'crossAccount'
      ? (/::(\d{12}):/.exec(access.roleArn)?.[1] ?? values.account)
      : values.account;
  const endpoints = [
    { endpoint: values.healthLake.endpoint, datastoreKmsKeyArn: values.healthLake.datastoreKmsKeyArn },
    ...values.healthLake.additionalAllowedEndpoints.map((entry) =>
      typeof entry === 'string' ? { endpoint: entry, datastoreKmsKeyArn: undefined } : entry,
    ),
  ];
  // Each data store once (its first listing), with the key any of its listings names.
  const keyOf = (endpoint: string): string | undefined =>
    endpoints.find(
      (entry) =>
        normalizedEndpoint(entry.endpoint) === normalizedEndpoint(endpoint) &&
        entry.datastoreKmsKeyArn !== undefined,
    )?.datastoreKmsKeyArn;
  const dataStores = endpoints
    .map((entry) => healthLakeDataStoreOf(entry.endpoint, dataStoreAccount, keyOf(entry.endpoint)))
    .filter((store): store is DataStore => store !== undefined)
    .filter((store, index, all) => all.findIndex((other) => other.endpoint === store.endpoint) === index);
  const [dataStore] = dataStores;
  if (dataStore === undefined) throw new Error('unreachable: the endpoint was validated');
  return {
    ...values,
    dataStore,
    dataStores,
    dataStoreAccount,
    autoSubscriptionId: values.connectorId.replaceAll('_', '-'),
  };
};
