/**
 * Typed environment variables: each function's contract (shared/runtime/) lists the variables it
 * reads, with who sets them, what they mean and how their text becomes a value. `readEnv` checks a
 * whole contract at once; `envEntries` writes one (the CDK constructs and local mode).
 */
import { ConfigurationError } from './env.js';

/** Who sets a variable. */
export type EnvOrigin = 'stack' | 'tuning' | 'local' | 'lambda';

/** One variable: its name, who sets it, what it means, and how its text becomes a value. */
export interface EnvVar<T> {
  readonly name: string;
  readonly origin: EnvOrigin;
  readonly doc: string;
  /** Turns the raw text (undefined or '' when unset) into the value; throws an Error saying what is wrong. */
  readonly parse: (raw: string | undefined) => T;
}

export type EnvContract = Readonly<Record<string, EnvVar<unknown>>>;
export type EnvValues<C extends EnvContract> = { readonly [K in keyof C]: ReturnType<C[K]['parse']> };

export const isUnset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

/** A variable that must be set. */
export const requiredVar = (name: string, doc: string, origin: EnvOrigin = 'stack'): EnvVar<string> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) throw new Error('is required');
    return raw;
  },
});

/** A variable that may be unset (undefined). */
export const optionalVar = (
  name: string,
  doc: string,
  origin: EnvOrigin = 'stack',
): EnvVar<string | undefined> => ({ name, origin, doc, parse: (raw) => (isUnset(raw) ? undefined : raw) });

/** An integer in [min, max], `fallback` when unset (undefined fallback = optional). */
export const intVar = <F extends number | undefined>(
  name: string,
  doc: string,
  fallback: F,
  range: { readonly min: number; readonly max: number },
  origin: EnvOrigin = 'tuning',
): EnvVar<number | F> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      throw new Error(`must be an integer in [${range.min}, ${range.max}]`);
    }
    return value;
  },
});

/** "true"/"1" or "false"/"0". */
export const boolVar = (
  name: string,
  doc: string,
  fallback: boolean,
  origin: EnvOrigin = 'tuning',
): EnvVar<boolean> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new Error('must be "true" or "false"');
  },
});

/** One of `choices` (case-sensitive). */
export const choiceVar = <C extends string>(
  name: string,
  doc: string,
  choices: readonly C[],
  fallback: C,
  origin: EnvOrigin = 'tuning',
): EnvVar<C> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    if (!(choices as readonly string[]).includes(raw))
      throw new Error(`must be one of ${choices.join(', ')}`);
    return raw as C;
  },
});

/** A comma-separated list of `choices`, at least one. */
export const choiceListVar = <C extends string>(
  name: string,
  doc: string,
  choices: readonly C[],
  fallback: readonly C[],
  origin: EnvOrigin = 'stack',
): EnvVar<readonly C[]> => ({
  name,
  origin,
  doc,
  parse: (raw) => {
    if (isUnset(raw)) return fallback;
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0 || items.some((item) => !(choices as readonly string[]).includes(item))) {
      throw new Error(`must list ${choices.join(' and/or ')}`);
    }
    return items as C[];
  },
});

/** A comma-separated list of strings (empty when unset). */
export const listVar = (
  name: string,
  doc: string,
  origin: EnvOrigin = 'stack',
): EnvVar<readonly string[]> => ({
  name,
  origin,
  doc,
  parse: (raw) =>
    isUnset(raw)
      ? []
      : raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
});

/**
 * Reads a contract from `env`, checking every variable; throws one `ConfigurationError` listing every
 * problem (name and what is wrong, never the value).
 *
 * @example
 * const values = readEnv(DELIVERER_CONTRACT, process.env);
 */
export const readEnv = <C extends EnvContract>(
  contract: C,
  env: NodeJS.ProcessEnv,
  functionName: string,
  /** Rules across variables (e.g. bearer auth needs a token source), given what parsed. */
  rules: (values: Partial<EnvValues<C>>) => string[] = () => [],
): EnvValues<C> => {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(contract)) {
    try {
      values[key] = spec.parse(env[spec.name]);
    } catch (error) {
      problems.push(`${spec.name} ${error instanceof Error ? error.message : 'is invalid'}`);
    }
  }
  problems.push(...rules(values as Partial<EnvValues<C>>));
  if (problems.length > 0) {
    throw new ConfigurationError(
      `Invalid ${functionName} environment (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
  return values as EnvValues<C>;
};

/**
 * The environment entries for `values` (keys of `contract`), undefined values left out: how the CDK
 * constructs and local mode write a function's variables by contract key rather than by hand-typed name.
 */
export const envEntries = <C extends EnvContract>(
  contract: C,
  values: { readonly [K in keyof C]?: string | undefined },
): Record<string, string> => {
  const entries: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const spec = contract[key];
    if (!spec) throw new Error(`No variable ${key} in this contract`);
    if (value !== undefined) entries[spec.name] = value;
  }
  return entries;
};

/** Variables consumed by Node.js and Powertools themselves (ConnectorFunction sets them), not by our code. */
export const PLATFORM_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  // Node loads these CA certificates at start (the SQL writer: Lambda's RDS CA bundle).
  'NODE_EXTRA_CA_CERTS',
];
