/**
 * FHIR search value syntax: `,` separates OR values, `|` and `$` separate parts, and `\` escapes
 * any of them (`\,` is a literal comma).
 */
export const splitEscaped = (text: string, separator: string): string[] => {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
};

export const unescapeValue = (text: string): string => text.replace(/\\([\\,|$])/g, '$1');

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** Splits an optional two-letter prefix off an ordered value (`ge2020` -> ['ge', '2020']). */
export const splitPrefix = (value: string): [Prefix, string] => {
  const head = value.slice(0, 2);
  return (PREFIXES as readonly string[]).includes(head) ? [head as Prefix, value.slice(2)] : ['eq', value];
};
