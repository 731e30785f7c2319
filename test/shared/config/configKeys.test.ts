import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../shared/config/configKeys.js';
import { configProblemsOf, exampleConfigInput } from '../../infra/connectorAppFixture.js';

/** The example configuration with `value` at the dotted `key`. */
const withValue = (key: string, value: unknown): Record<string, unknown> => {
  const config = structuredClone(exampleConfigInput()) as unknown as Record<string, unknown>;
  const path = key.split('.');
  let node = config;
  for (const segment of path.slice(0, -1)) {
    node[segment] = { ...((node[segment] as Record<string, unknown> | undefined) ?? {}) };
    node = node[segment] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
  return config;
};

describe('Configuration keys named in messages', () => {
  it.each(Object.values(CONFIG_KEYS))('names %s, a key the configuration schema checks', (key) => {
    // A value of the wrong type at the key is reported at that key: the schema knows it (an unknown
    // key would be reported as "unknown option" on its parent instead).
    expect(configProblemsOf(withValue(key, { wrong: 'type' }))).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${key.replaceAll('.', '\\.')}: `))]),
    );
  });
});
