import { type DateRange, parseDateRange } from './dateRange.js';
import type { ValueTest } from './elementPath.js';
import { invalidValue, unsupportedParameter } from './errors.js';
import { type Prefix, splitPrefix, unescapeValue } from './searchValue.js';

type Node = Record<string, unknown>;
type RangeTest = (low: number, high: number) => boolean;

/**
 * The FHIR R4 prefix definitions over ranges: search value [sL, sH), resource value [tL, tH).
 * eq: search contains target; gt: target reaches past the search range; ge: gt or eq; sa: target
 * starts at or after the end of the search range; and their mirror images.
 */
export const rangeTest = (prefix: Prefix, s: DateRange): RangeTest => {
  const { low, high } = s;
  switch (prefix) {
    case 'eq':
      return (tL, tH) => tL >= low && tH <= high;
    case 'ne':
      return (tL, tH) => !(tL >= low && tH <= high);
    case 'gt':
      return (_tL, tH) => tH > high;
    case 'lt':
      return (tL) => tL < low;
    // ge = gt or eq, which reduces to: reaches past the search range, or starts inside it.
    case 'ge':
      return (tL, tH) => tH > high || tL >= low;
    // le = lt or eq, which reduces to: starts before the search range, or ends inside it.
    case 'le':
      return (tL, tH) => tL < low || tH <= high;
    case 'sa':
      return (tL) => tL >= high;
    case 'eb':
      return (_tL, tH) => tH <= low;
    default:
      throw new Error(`prefix ${prefix} has no range test`);
  }
};

const rangeOf = (value: unknown): DateRange | undefined =>
  typeof value === 'string' ? parseDateRange(value) : undefined;

/** A Period's range: a missing start or end is open (-inf / +inf); neither at all is no value. */
const periodRange = (period: Node): DateRange | undefined => {
  const start = period['start'];
  const end = period['end'];
  if (start === undefined && end === undefined) return undefined;
  const low = start === undefined ? -Infinity : rangeOf(start)?.low;
  const high = end === undefined ? Infinity : rangeOf(end)?.high;
  return low === undefined || high === undefined ? undefined : { low, high };
};

/** A Timing's outer limits (the spec ignores the schedule): its events and `repeat.boundsPeriod`. */
const timingRange = (timing: Node): DateRange | undefined => {
  let low = Infinity;
  let high = -Infinity;
  const events = timing['event'];
  if (Array.isArray(events)) {
    for (const event of events) {
      const r = rangeOf(event);
      if (r) {
        low = Math.min(low, r.low);
        high = Math.max(high, r.high);
      }
    }
  }
  const bounds = (timing['repeat'] as Node | undefined)?.['boundsPeriod'] as Node | undefined;
  const b = bounds ? periodRange(bounds) : undefined;
  if (b) {
    low = Math.min(low, b.low);
    high = Math.max(high, b.high);
  }
  // Stryker disable next-line EqualityOperator: a range found always has low < high, so <= and < agree
  return low <= high ? { low, high } : undefined;
};

/** Builds, per element type, the test for a date parameter's OR values. */
export const dateTests = (parameter: string, rawValues: readonly string[]): ((type: string) => ValueTest) => {
  const tests = rawValues.map((raw) => {
    const [prefix, text] = splitPrefix(unescapeValue(raw));
    if (prefix === 'ap')
      throw unsupportedParameter(parameter, 'the ap (approximately) prefix has no exact definition');
    const range = parseDateRange(text);
    if (!range) throw invalidValue(parameter, 'expected a FHIR date, dateTime or instant after the prefix');
    return rangeTest(prefix, range);
  });
  const test: RangeTest = tests.length === 1 ? tests[0]! : (low, high) => tests.some((t) => t(low, high));
  const onRange = (r: DateRange | undefined): boolean => r !== undefined && test(r.low, r.high);
  return (type) => {
    switch (type) {
      case 'Period':
        return (value) => onRange(periodRange(value as Node));
      case 'Timing':
        return (value) => onRange(timingRange(value as Node));
      default:
        return (value) => onRange(rangeOf(value));
    }
  };
};

/** Whether an element holds a date value at all (for `:missing`). */
export const hasDateValue = (type: string): ValueTest =>
  type === 'Period'
    ? (value) => periodRange(value as Node) !== undefined
    : type === 'Timing'
      ? (value) => timingRange(value as Node) !== undefined
      : (value) => typeof value === 'string';
