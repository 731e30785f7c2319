import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../shared/fhir/parseJson.js';
import { LocalConfigError, type LocalConfig } from './config.js';

/**
 * What a data folder remembers besides the stand-ins' own data: the HealthLake stand-in's data store id
 * and the ports the stand-ins listened on. The data store URL names the target of every stored
 * Subscription, queued message and delivered-version record, so it must not change across restarts.
 */
export interface RememberedStandins {
  readonly datastoreId?: string;
  readonly healthLakePort?: number;
  readonly sourcePort?: number;
}

const STATE_FILE = 'standins.json';
const DATASTORE_ID = /^[0-9a-f]{32}$/;

const port = (value: unknown): number | undefined =>
  Number.isInteger(value) && (value as number) > 0 && (value as number) < 65_536
    ? (value as number)
    : undefined;

/**
 * Creates the data folder if needed and reads what it remembers (nothing for a new folder). A file
 * that is not ours, or malformed, is refused rather than half used.
 */
export const openDataDir = (folder: string): RememberedStandins => {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LocalConfigError(
      `--data-dir / HLC_DATA_DIR: cannot create ${folder} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let text: string;
  try {
    text = readFileSync(join(folder, STATE_FILE), 'utf8');
  } catch {
    return {};
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseJson(text, STATE_FILE) as Record<string, unknown>;
  } catch {
    throw new LocalConfigError(`--data-dir / HLC_DATA_DIR: ${join(folder, STATE_FILE)} is not valid JSON`);
  }
  const datastoreId = typeof parsed.datastoreId === 'string' ? parsed.datastoreId : undefined;
  if (datastoreId !== undefined && !DATASTORE_ID.test(datastoreId)) {
    throw new LocalConfigError(`--data-dir / HLC_DATA_DIR: ${STATE_FILE} holds an invalid datastoreId`);
  }
  const healthLakePort = port(parsed.healthLakePort);
  const sourcePort = port(parsed.sourcePort);
  return {
    ...(datastoreId ? { datastoreId } : {}),
    ...(healthLakePort ? { healthLakePort } : {}),
    ...(sourcePort ? { sourcePort } : {}),
  };
};

/** Records the stand-ins' identity in the data folder (after they started). */
export const rememberStandins = (folder: string, state: RememberedStandins): void => {
  writeFileSync(join(folder, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
};

/** The configuration with the remembered stand-in ports where it leaves them random (0). */
export const withRememberedPorts = (config: LocalConfig, remembered: RememberedStandins): LocalConfig => ({
  ...config,
  healthLakePort: config.healthLakePort || remembered.healthLakePort || 0,
  sourcePort: config.sourcePort || remembered.sourcePort || 0,
});
