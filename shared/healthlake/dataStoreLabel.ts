import { createHash } from 'node:crypto';

/** HealthLake's data store id in an endpoint path (`.../datastore/{id}/r4/`): 32 hex characters, or a stand-in's id. */
const DATASTORE_ID = /\/datastore\/([A-Za-z0-9_-]{1,64})\//;

/**
 * The name a data store's per-store metrics carry (the `DataStore` dimension) and `hlc status` shows:
 * its data store id, or for an endpoint of another shape a short hash of it (never the URL itself, which
 * could hold a host name the operator would rather not spread). The stack and the deliverer both call
 * this, so the dashboard's metrics match what the deliverer emits.
 *
 * @example
 * dataStoreLabel('https://healthlake.us-east-1.amazonaws.com/datastore/0123abcd/r4/') // '0123abcd'
 */
export const dataStoreLabel = (endpoint: string): string =>
  DATASTORE_ID.exec(endpoint)?.[1] ??
  `endpoint-${createHash('sha256').update(endpoint).digest('hex').slice(0, 12)}`;
