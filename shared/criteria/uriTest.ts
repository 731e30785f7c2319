import { type ValueTest } from './elementPath.js';
import { invalidValue } from './errors.js';
import { unescapeValue } from './searchValue.js';

export type UriModifier = 'below' | 'above' | undefined;

/**
 * uri search: exact, case-sensitive string equality. `:below` matches resource values that start
 * with the search value; `:above` resource values the search value starts with.
 */
export const uriTests = (
  parameter: string,
  rawValues: readonly string[],
  modifier: UriModifier,
): ValueTest => {
  const values = rawValues.map(unescapeValue);
  if (values.some((v) => v === '')) throw invalidValue(parameter, 'the value is empty');
  if (modifier === 'below') {
    return (value) => typeof value === 'string' && values.some((v) => value.startsWith(v));
  }
  if (modifier === 'above') {
    return (value) => typeof value === 'string' && value !== '' && values.some((v) => v.startsWith(value));
  }
  const exact = new Set(values);
  return (value) => exact.has(value as string);
};
