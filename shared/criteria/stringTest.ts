import { type ValueTest } from './elementPath.js';
import { invalidValue } from './errors.js';
import { normalizeString } from './normalizeString.js';
import { unescapeValue } from './searchValue.js';

type Node = Record<string, unknown>;

const HUMAN_NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'] as const;
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'] as const;

export type StringModifier = 'exact' | 'contains' | undefined;

/**
 * String search: by default a case- and accent-insensitive starts-with, `:contains` anywhere, and
 * `:exact` the whole string exactly (case and accents included). HumanName and Address match when
 * any of their string parts does.
 */
export const stringTests = (
  parameter: string,
  rawValues: readonly string[],
  modifier: StringModifier,
): ((type: string) => ValueTest) => {
  const values = rawValues.map(unescapeValue);
  if (values.some((v) => v === '')) throw invalidValue(parameter, 'the value is empty');
  let test: (text: string) => boolean;
  if (modifier === 'exact') {
    const exact = new Set(values);
    test = (text) => exact.has(text);
  } else {
    const folded = values.map(normalizeString);
    test =
      modifier === 'contains'
        ? (text) => {
            const f = normalizeString(text);
            return folded.some((v) => f.includes(v));
          }
        : (text) => {
            const f = normalizeString(text);
            return folded.some((v) => f.startsWith(v));
          };
  }
  const onString: ValueTest = (value) => typeof value === 'string' && test(value);
  const onParts =
    (parts: readonly string[]): ValueTest =>
    (value) => {
      for (const part of parts) {
        const v = (value as Node)[part];
        if (Array.isArray(v) ? v.some(onString) : onString(v)) return true;
      }
      return false;
    };
  const onName = onParts(HUMAN_NAME_PARTS);
  const onAddress = onParts(ADDRESS_PARTS);
  return (type) => (type === 'HumanName' ? onName : type === 'Address' ? onAddress : onString);
};
