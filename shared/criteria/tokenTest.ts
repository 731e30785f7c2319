import { type ValueTest, anyOf } from './elementPath.js';
import { invalidValue, unsupportedParameter } from './errors.js';
import { normalizeString } from './normalizeString.js';
import { splitEscaped, unescapeValue } from './searchValue.js';

type Node = Record<string, unknown>;

const PRIMITIVE_TYPES = new Set(['code', 'string', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid']);

/** Matches `(system, code)` pairs of a Coding or Identifier per the token forms of a search value. */
type PairTest = (system: unknown, code: unknown) => boolean;

interface TokenValue {
  readonly hasSystem: boolean;
  readonly pair: PairTest;
  readonly code: string;
}

const parseToken = (parameter: string, raw: string): TokenValue => {
  const parts = splitEscaped(raw, '|');
  if (parts.length > 2) throw invalidValue(parameter, 'a token has at most one unescaped "|"');
  if (parts.length === 1) {
    const code = unescapeValue(parts[0]!);
    if (code === '') throw invalidValue(parameter, 'the value is empty');
    return { hasSystem: false, code, pair: (_s, c) => c === code };
  }
  const system = unescapeValue(parts[0]!);
  const code = unescapeValue(parts[1]!);
  if (system === '' && code === '') throw invalidValue(parameter, 'the value is empty');
  if (system === '') return { hasSystem: true, code, pair: (s, c) => s === undefined && c === code };
  if (code === '') return { hasSystem: true, code, pair: (s) => s === system };
  return { hasSystem: true, code, pair: (s, c) => s === system && c === code };
};

const codingTest =
  (pair: PairTest): ValueTest =>
  (value) =>
    pair((value as Node)['system'], (value as Node)['code']);

const conceptTest = (pair: PairTest): ValueTest => {
  const coding = codingTest(pair);
  return (value) => {
    const codings = (value as Node)['coding'];
    if (!Array.isArray(codings)) return false;
    for (const c of codings) if (c && coding(c)) return true;
    return false;
  };
};

/**
 * Builds, per element type, the test for a token parameter's OR values. Coding, CodeableConcept and
 * Identifier honour every `system|code` form; ContactPoint, boolean and primitive codes have no
 * system of their own, so only a bare code is accepted there (their implicit system is not known).
 */
export const tokenTests = (
  parameter: string,
  rawValues: readonly string[],
): ((type: string) => ValueTest) => {
  const values = rawValues.map((raw) => parseToken(parameter, raw));
  return (type) => {
    switch (type) {
      case 'Coding':
        return anyOf(values.map((v) => codingTest(v.pair)));
      case 'CodeableConcept':
        return anyOf(values.map((v) => conceptTest(v.pair)));
      case 'Identifier':
        return anyOf(
          values.map((v) => (value) => v.pair((value as Node)['system'], (value as Node)['value'])),
        );
      // ContactPoint, boolean and primitive codes.
      default: {
        if (type !== 'ContactPoint' && type !== 'boolean' && !PRIMITIVE_TYPES.has(type)) {
          throw unsupportedParameter(parameter, `token search on ${type} elements is not supported`);
        }
        if (values.some((v) => v.hasSystem)) {
          throw unsupportedParameter(
            parameter,
            `a system-qualified token cannot be evaluated exactly on a ${type} element (it has no code system of its own)`,
          );
        }
        if (type === 'ContactPoint') {
          const codes = new Set(values.map((v) => v.code));
          return (value) => codes.has((value as Node)['value'] as string);
        }
        if (type === 'boolean') {
          for (const v of values) {
            if (v.code !== 'true' && v.code !== 'false')
              throw invalidValue(parameter, 'expected true or false');
          }
          const accepted = new Set(values.map((v) => v.code === 'true'));
          return (value) => accepted.has(value as boolean);
        }
        if (values.length === 1) {
          const code = values[0]!.code;
          return (value) => value === code;
        }
        const codes = new Set(values.map((v) => v.code));
        return (value) => codes.has(value as string);
      }
    }
  };
};

const startsWithAny = (text: unknown, prefixes: readonly string[]): boolean => {
  if (typeof text !== 'string') return false;
  const folded = normalizeString(text);
  for (const prefix of prefixes) if (folded.startsWith(prefix)) return true;
  return false;
};

/**
 * `:text`: case- and accent-insensitive starts-with (as string search) on the text that goes with a
 * code: CodeableConcept.text and its codings' display, Coding.display, Identifier.type.text.
 */
export const tokenTextTests = (
  parameter: string,
  rawValues: readonly string[],
): ((type: string) => ValueTest) => {
  const prefixes = rawValues.map((raw) => normalizeString(unescapeValue(raw)));
  return (type) => {
    switch (type) {
      case 'Coding':
        return (value) => startsWithAny((value as Node)['display'], prefixes);
      case 'CodeableConcept':
        return (value) => {
          if (startsWithAny((value as Node)['text'], prefixes)) return true;
          const codings = (value as Node)['coding'];
          return (
            Array.isArray(codings) &&
            codings.some((c) => startsWithAny((c as Node | null)?.['display'], prefixes))
          );
        };
      case 'Identifier':
        return (value) => startsWithAny(((value as Node)['type'] as Node | undefined)?.['text'], prefixes);
      default:
        throw unsupportedParameter(
          parameter,
          `the :text modifier needs a text to compare and ${type} elements have none`,
        );
    }
  };
};
