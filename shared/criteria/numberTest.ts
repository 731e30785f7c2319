import { type ValueTest, anyOf } from './elementPath.js';
import { invalidValue, unsupportedParameter } from './errors.js';
import { type Prefix, splitEscaped, splitPrefix, unescapeValue } from './searchValue.js';

type Node = Record<string, unknown>;
type NumberTest = (value: number) => boolean;

const NUMBER = /^-?\d+(?:\.(\d+))?$/;

/**
 * A number search value with its implicit precision: `100` is [99.5, 100.5), `100.00` is
 * [99.995, 100.005). `eq`/`ne` use that range; `gt`/`lt`/`ge`/`le` compare with the exact value (as the
 * spec's examples do); `sa`/`eb` mean above/below the whole range. Resource values are exact points.
 * Exponent notation is rejected.
 */
export const numberTest = (parameter: string, prefix: Prefix, text: string): NumberTest => {
  const m = NUMBER.exec(text);
  if (!m) throw invalidValue(parameter, 'expected a decimal number (no exponent) after the prefix');
  if (prefix === 'ap')
    throw unsupportedParameter(parameter, 'the ap (approximately) prefix has no exact definition');
  const x = Number(text);
  const decimals = m[1]?.length ?? 0;
  const half = 0.5 * 10 ** -decimals;
  const low = Number((x - half).toFixed(decimals + 1));
  const high = Number((x + half).toFixed(decimals + 1));
  switch (prefix) {
    case 'eq':
      return (v) => v >= low && v < high;
    case 'ne':
      return (v) => !(v >= low && v < high);
    case 'gt':
      return (v) => v > x;
    case 'lt':
      return (v) => v < x;
    case 'ge':
      return (v) => v >= x;
    case 'le':
      return (v) => v <= x;
    case 'sa':
      return (v) => v >= high;
    case 'eb':
      return (v) => v < low;
  }
};

/** number parameters: OR of the values, on decimal/integer elements. */
export const numberTests = (parameter: string, rawValues: readonly string[]): ValueTest => {
  const tests = rawValues.map((raw) => {
    const [prefix, text] = splitPrefix(unescapeValue(raw));
    return numberTest(parameter, prefix, text);
  });
  return (value) => typeof value === 'number' && tests.some((t) => t(value));
};

/**
 * quantity parameters: `[prefix]number`, `[prefix]number|system|code` (system and code equal) or
 * `[prefix]number||code` (code equals Quantity.code or Quantity.unit). Values are compared only when
 * the units match: there is no unit conversion. A resource Quantity's comparator is ignored.
 * SampledData holds no single comparable quantity (it has no `value`) and so never matches.
 */
export const quantityTests = (parameter: string, rawValues: readonly string[]): ValueTest => {
  const tests = rawValues.map((raw): ValueTest => {
    const parts = splitEscaped(raw, '|').map(unescapeValue);
    if (parts.length !== 1 && parts.length !== 3) {
      throw invalidValue(parameter, 'expected number, number|system|code or number||code');
    }
    const [prefix, text] = splitPrefix(parts[0]!);
    const onNumber = numberTest(parameter, prefix, text);
    const system = parts[1];
    const code = parts[2];
    if (!code) {
      if (system) throw invalidValue(parameter, 'a quantity system needs a code');
      return (q) => typeof (q as Node)['value'] === 'number' && onNumber((q as Node)['value'] as number);
    }
    if (!system) {
      return (q) =>
        ((q as Node)['code'] === code || (q as Node)['unit'] === code) &&
        typeof (q as Node)['value'] === 'number' &&
        onNumber((q as Node)['value'] as number);
    }
    return (q) =>
      (q as Node)['system'] === system &&
      (q as Node)['code'] === code &&
      typeof (q as Node)['value'] === 'number' &&
      onNumber((q as Node)['value'] as number);
  });
  return anyOf(tests);
};
