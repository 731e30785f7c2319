/**
 * The deployment configuration keys (connector.config.json, infra/config/schema.ts) behind settings
 * that messages mention. An operator sets these keys, never the Lambda environment variables they
 * become, so a message names the key; a test checks that the schema knows each one.
 */
export const CONFIG_KEYS = {
  maxRequestBytes: 'ingest.maxRequestBytes',
  maxJsonDepth: 'ingest.maxJsonDepth',
  maxClockSkewSeconds: 'ingest.maxClockSkewSeconds',
  additionalAllowedEndpoints: 'healthLake.additionalAllowedEndpoints',
  sourceFhirBaseUrl: 'sourceFhir.baseUrl',
} as const;

/** `(configuration key ingest.maxRequestBytes)`: how a message points at a setting. */
export const configKeyNote = (key: (typeof CONFIG_KEYS)[keyof typeof CONFIG_KEYS]): string =>
  `(configuration key ${key})`;
