/** `channel.endpoint` of a Subscription that delivers to a configured SQL target: `sql://<target name>`. */
export const SQL_ENDPOINT_SCHEME = 'sql://';
/** A SQL target's name: lower case letters, digits and `-`, a letter first, at most 63 characters. */
export const SQL_TARGET_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * The target name of a `sql://<name>` endpoint, or undefined when the endpoint is not one.
 *
 * @example
 * sqlTargetName('sql://warehouse'); // 'warehouse'
 * sqlTargetName('https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/'); // undefined
 */
export const sqlTargetName = (endpoint: string): string | undefined => {
  if (!endpoint.startsWith(SQL_ENDPOINT_SCHEME)) return undefined;
  const name = endpoint.slice(SQL_ENDPOINT_SCHEME.length).replace(/\/$/, '');
  return SQL_TARGET_NAME_PATTERN.test(name) ? name : undefined;
};

/**
 * The canonical endpoint of a SQL target (`sql://<name>`, no trailing slash); throws for a name that
 * is not one (configuration is checked before it becomes an allow-list entry).
 *
 * @example
 * sqlEndpoint('warehouse'); // 'sql://warehouse'
 */
export const sqlEndpoint = (name: string): string => {
  if (!SQL_TARGET_NAME_PATTERN.test(name))
    throw new Error('A SQL target name is lower case letters, digits and "-", a letter first, at most 63');
  return `${SQL_ENDPOINT_SCHEME}${name}`;
};

/** Whether an endpoint names a SQL target (`sql://...`), valid or not: it never goes to HealthLake. */
export const isSqlEndpoint = (endpoint: string): boolean => endpoint.startsWith(SQL_ENDPOINT_SCHEME);
