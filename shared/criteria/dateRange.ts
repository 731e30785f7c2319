/**
 * FHIR date/dateTime/instant values as half-open ranges of epoch milliseconds [low, high): a value
 * denotes the whole interval its precision covers (`2020-03` = all of March 2020). Values without a
 * time zone are read as UTC (documented choice: the connector has no server time zone).
 */
export interface DateRange {
  readonly low: number;
  readonly high: number;
}

/** Date.UTC, without its mapping of years 0-99 to 1900-1999. */
const utc = (year: number, month: number, day: number): number =>
  // Stryker disable next-line EqualityOperator: year 100 gives the same instant either way
  year >= 100 ? Date.UTC(year, month, day) : new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(year, month, day);

/** Whether a char code minus 48 is a digit (NaN, past the end of the string, is not). */
const isDigit = (d: number): boolean => d >= 0 && d <= 9;

/** Two-digit field at `i`, or -1 when not digits. */
const twoDigits = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return isDigit(a) && isDigit(b) ? a * 10 + b : -1;
};

/**
 * Parses a FHIR date, dateTime or instant into its range; undefined when malformed. Hand-written
 * (no regex, no Date parsing) because it runs for every date value of every resource matched.
 */
export const parseDateRange = (value: string): DateRange | undefined => {
  const len = value.length;
  const hi = twoDigits(value, 0);
  const lo = twoDigits(value, 2);
  if (hi < 0 || lo < 0) return undefined;
  const year = hi * 100 + lo;
  if (len === 4) return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) };
  if (value.charCodeAt(4) !== 45 /* - */) return undefined;
  const month = twoDigits(value, 5) - 1;
  if (month < 0 || month > 11) return undefined;
  if (len === 7) return { low: utc(year, month, 1), high: utc(year, month + 1, 1) };
  if (value.charCodeAt(7) !== 45) return undefined;
  const day = twoDigits(value, 8);
  const dayStart = utc(year, month, day);
  // Also rejects day 0 and a non-digit day (-1): they roll back into the previous month.
  if (new Date(dayStart).getUTCMonth() !== month) return undefined;
  if (len === 10) return { low: dayStart, high: utc(year, month, day + 1) };
  if (value.charCodeAt(10) !== 84 /* T */ || value.charCodeAt(13) !== 58 /* : */) return undefined;
  const hours = twoDigits(value, 11);
  const minutes = twoDigits(value, 14);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  let i = 16;
  let seconds = -1;
  let fraction = '';
  if (value.charCodeAt(i) === 58) {
    seconds = twoDigits(value, 17);
    if (seconds < 0 || seconds > 59) return undefined;
    i = 19;
    if (value.charCodeAt(i) === 46 /* . */) {
      let j = i + 1;
      while (isDigit(value.charCodeAt(j) - 48)) j++;
      fraction = value.slice(i + 1, j);
      if (fraction === '') return undefined;
      i = j;
    }
  }
  let shift = 0;
  if (i === len) {
    // No zone: read as UTC.
  } else if (value.charCodeAt(i) === 90 /* Z */ && i + 1 === len) {
    // Z: UTC.
  } else {
    const sign = value.charCodeAt(i);
    const zh = twoDigits(value, i + 1);
    const zm = twoDigits(value, i + 4);
    if ((sign !== 43 && sign !== 45) || value.charCodeAt(i + 3) !== 58 || zh < 0 || zm < 0 || i + 6 !== len) {
      return undefined;
    }
    shift = (sign === 45 ? -1 : 1) * (zh * 60 + zm) * 60_000;
  }
  const minuteStart = dayStart + hours * 3_600_000 + minutes * 60_000 - shift;
  if (seconds < 0) return { low: minuteStart, high: minuteStart + 60_000 };
  const secondStart = minuteStart + seconds * 1000;
  // No fraction is the whole second (unit 1000). Sub-millisecond digits cannot be represented: the
  // range is the millisecond that holds them.
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const unit = 10 ** Math.max(0, 3 - fraction.length);
  return { low: secondStart + ms, high: secondStart + ms + unit };
};
