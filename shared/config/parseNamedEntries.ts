/**
 * Parses `name=value` entries, comma-separated, as the stack writes a configuration map into one
 * environment variable (`healthLake.moduleEndpoints`, `delivery.transforms`). `value` returns the
 * value to keep, or undefined when it is not one. Throws naming the position of a bad or repeated
 * entry, never its text (an entry may hold an account id or a URL).
 *
 * @example
 * parseNamedEntries('a=1,b=2', { namePattern: /^[a-z]+$/, value: (text) => text, entry: 'Entry', shape: 'name=value', name: 'name' })
 */
export const parseNamedEntries = (
  raw: string,
  options: {
    readonly namePattern: RegExp;
    readonly value: (text: string) => string | undefined;
    /** What one entry is called in an error: `Module endpoint`, `Transform`. */
    readonly entry: string;
    /** What an entry must look like, for the error. */
    readonly shape: string;
    /** What the name is, for the error about a repeated one: `module id`, `name`. */
    readonly name: string;
  },
): Map<string, string> => {
  const map = new Map<string, string>();
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .forEach((entry, index) => {
      const equals = entry.indexOf('=');
      const name = entry.slice(0, Math.max(0, equals));
      const value = equals <= 0 ? undefined : options.value(entry.slice(equals + 1));
      if (!options.namePattern.test(name) || value === undefined) {
        throw new Error(`${options.entry} #${index + 1} must be ${options.shape}`);
      }
      if (map.has(name)) throw new Error(`${options.entry} #${index + 1} repeats a ${options.name}`);
      map.set(name, value);
    });
  return map;
};
