/** Thrown at module load when required configuration is missing or malformed. */
export class ConfigurationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** A required environment variable, read once; throws a message naming it when absent. */
export const requireEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Missing required environment variable ${name}`);
  }
  return value;
};

/** An optional environment variable with a default. */
export const optionalEnv = (name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
};

/** An optional integer environment variable, validated against a range. */
export const intEnv = (
  name: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `Environment variable ${name} must be an integer in [${min}, ${max}], got "${raw}"`,
    );
  }
  return value;
};

/** An optional boolean environment variable ("true"/"false"). */
export const boolEnv = (name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigurationError(`Environment variable ${name} must be "true" or "false", got "${raw}"`);
};
