/**
 * Data store endpoints: the allow-list a Subscription's `channel.endpoint` must be on.
 * The connector never sends PHI to a URL the deployment did not name.
 */
import { SQL_ENDPOINT_SCHEME, sqlTargetName } from './sqlEndpoint.js';

/**
 * The canonical form of an endpoint URL: scheme and host lower-cased (by URL parsing), default port
 * dropped, path ending in exactly one `/`. Returns undefined for anything that is not a plain
 * http(s) URL without credentials, query or fragment.
 *
 * @example
 * normalizeEndpoint('https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4')
 * // 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/'
 */
export const normalizeEndpoint = (value: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  // No query or fragment: checked in the raw text, because `new URL` keeps a bare `?`/`#` out of
  // search/hash (and any non-empty search or hash has one).
  if (/[?#]/.test(value)) return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}/`;
};

/**
 * Parses the comma-separated allow-list (env ALLOWED_HEALTHLAKE_ENDPOINTS) into normalised endpoints.
 * Throws naming the offending position when an entry is not a valid endpoint URL.
 */
export const parseAllowedEndpoints = (value: string | readonly string[]): string[] => {
  const entries = (typeof value === 'string' ? value.split(',') : [...value])
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry, index) => {
    const normalized = normalizeEndpoint(entry);
    if (normalized === undefined) {
      throw new Error(`Allowed endpoint #${index + 1} is not an http(s) URL without query or credentials`);
    }
    return normalized;
  });
};

/**
 * The normalised endpoint when it is on the allow-list (entries normalised too), else undefined. A SQL
 * target (`sql://<name>`) is allowed when the list holds exactly that target's endpoint.
 */
export const allowedEndpoint = (value: string, allowList: readonly string[]): string | undefined => {
  const target = sqlTargetName(value.trim());
  if (target !== undefined) {
    const canonical = `${SQL_ENDPOINT_SCHEME}${target}`;
    return allowList.some((entry) => sqlTargetName(entry) === target) ? canonical : undefined;
  }
  const normalized = normalizeEndpoint(value);
  // An invalid value is `undefined`, and so is every answer below (an invalid entry is never chosen).
  return allowList.some((entry) => normalizeEndpoint(entry) === normalized) ? normalized : undefined;
};
