import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InvalidConfigurationError } from './errors.js';
import { parseConnectorConfig, type ConnectorConfig } from './parseConnectorConfig.js';

/** The file read when no `configFile` context is given and it exists. */
export const DEFAULT_CONFIG_FILE = 'connector.config.json';
/** The committed example, used (with a warning) when neither of the above exists. */
export const EXAMPLE_CONFIG_FILE = 'connector.config.example.json';

export interface LoadedConfig {
  readonly config: ConnectorConfig;
  /** Which file was read, if any. */
  readonly file?: string;
  /** True when the committed example was used because no configuration was given. */
  readonly usedExample: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Context values win over file values; objects merge key by key, arrays and scalars replace. */
const merge = (base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? merge(current, value) : value;
  }
  return out;
};

/**
 * Reads the connector configuration once, for the app: the JSON file named by context `configFile`
 * (else `connector.config.json`, else the committed example), overlaid with context `connector`
 * (an object, or a JSON string when given as `-c connector='{...}'`). Validates it; throws
 * InvalidConfigurationError listing every problem.
 *
 * @param tryGetContext - `app.node.tryGetContext`
 * @param cwd - directory relative file names resolve against
 */
export const loadConnectorConfig = (
  tryGetContext: (key: string) => unknown,
  cwd: string = process.cwd(),
): LoadedConfig => {
  const requested = tryGetContext('configFile');
  if (requested !== undefined && typeof requested !== 'string') {
    throw new InvalidConfigurationError('context', ['configFile: must be a file path']);
  }
  let file: string | undefined;
  let usedExample = false;
  if (requested !== undefined) file = requested;
  else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) file = DEFAULT_CONFIG_FILE;
  else if (existsSync(resolve(cwd, EXAMPLE_CONFIG_FILE))) {
    file = EXAMPLE_CONFIG_FILE;
    usedExample = true;
  }

  let fromFile: Record<string, unknown> = {};
  if (file !== undefined) {
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    if (!existsSync(path)) throw new InvalidConfigurationError(file, [`the file ${path} does not exist`]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new InvalidConfigurationError(file, [`not valid JSON: ${(error as Error).message}`]);
    }
    if (!isRecord(parsed)) throw new InvalidConfigurationError(file, ['must hold a JSON object']);
    fromFile = parsed;
  }

  let fromContext = tryGetContext('connector');
  if (typeof fromContext === 'string') {
    try {
      fromContext = JSON.parse(fromContext);
    } catch (error) {
      throw new InvalidConfigurationError('context "connector"', [
        `not valid JSON: ${(error as Error).message}`,
      ]);
    }
  }
  if (fromContext !== undefined && !isRecord(fromContext)) {
    throw new InvalidConfigurationError('context "connector"', ['must be a JSON object']);
  }

  const source = [file, fromContext === undefined ? undefined : 'context "connector"']
    .filter((part) => part !== undefined)
    .join(' + ');
  const config = parseConnectorConfig(
    merge(fromFile, fromContext ?? {}),
    source === '' ? 'no configFile and no context "connector"' : source,
  );
  return { config, usedExample, ...(file === undefined ? {} : { file }) };
};
