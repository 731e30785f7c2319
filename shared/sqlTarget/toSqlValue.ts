import type { TypedValue } from '@medplum/core';
import type { SqlType } from './constants.js';
import type { SqlValue } from './types.js';

/** A value for a column, or why it does not fit (never quoting the value). */
export type Conversion = { readonly value: SqlValue } | { readonly reason: string };

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
const INTEGER_TEXT = /^[+-]?\d{1,10}$/;
const DECIMAL_TEXT = /^[+-]?\d{1,100}(\.\d{1,100})?([eE][+-]?\d{1,4})?$/;
// FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) and dateTime/instant; anchored, no nested repetition.
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

const NUL = '\u0000';
const fit = (value: SqlValue): Conversion => ({ value });
const misfit = (reason: string): Conversion => ({ reason });

/**
 * `a Quantity`, `an integer`: the FHIRPath type of a value, for a reason (the type, never the value).
 * A type name is a FHIR type name; anything else (a contained resource's own `resourceType`) is not named.
 */
const kind = (item: TypedValue): string => {
  if (!/^[A-Za-z]{1,64}$/.test(item.type)) return 'a value of another type';
  return `${/^[aeiou]/i.test(item.type) ? 'an' : 'a'} ${item.type}`;
};

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** A FHIR date or dateTime as its calendar date `YYYY-MM-DD` (partial dates: the first day), and its zone. */
const parseFhirDate = (
  text: string,
): { date: string; hasTime: boolean; zone?: string } | { problem: string } | undefined => {
  const dateOnly = DATE.exec(text);
  const dateTime = dateOnly ? undefined : DATE_TIME.exec(text);
  const parts = dateOnly ?? dateTime;
  if (!parts) return undefined;
  const year = Number(parts[1]);
  const month = parts[2] === undefined ? 1 : Number(parts[2]);
  const day = parts[3] === undefined ? 1 : Number(parts[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month))
    return { problem: 'is not a calendar date' };
  const date = `${parts[1]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (!dateTime) return { date, hasTime: false };
  const [hour, minute, second] = [Number(dateTime[4]), Number(dateTime[5]), Number(dateTime[6])];
  const zone = dateTime[7];
  if (hour > 23 || minute > 59 || second > 60) return { problem: 'is not a time of day' };
  if (zone !== undefined && zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4)) > 59))
    return { problem: 'has an impossible time zone offset' };
  return { date, hasTime: true, zone };
};

const toText = (item: TypedValue): Conversion => {
  const { value } = item;
  if (typeof value === 'string')
    return value.includes(NUL)
      ? misfit('contains a NUL character, which PostgreSQL cannot store')
      : fit(value);
  if (typeof value === 'number' || typeof value === 'boolean') return fit(String(value));
  return misfit(`${kind(item)} is not a text value`);
};

const toInteger = (item: TypedValue): Conversion => {
  const { value } = item;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && INTEGER_TEXT.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isInteger(number)) return misfit(`${kind(item)} is not an integer`);
  if (number < INT4_MIN || number > INT4_MAX) return misfit('is outside the range of an integer column');
  return fit(number);
};

const toNumeric = (item: TypedValue): Conversion => {
  const { value } = item;
  if (typeof value === 'number')
    return Number.isFinite(value) ? fit(value) : misfit('is not a finite number');
  if (typeof value === 'string' && DECIMAL_TEXT.test(value)) return fit(value);
  return misfit(`${kind(item)} is not a number`);
};

const toBoolean = (item: TypedValue): Conversion => {
  const { value } = item;
  if (typeof value === 'boolean') return fit(value);
  if (value === 'true' || value === 'false') return fit(value === 'true');
  return misfit(`${kind(item)} is not a boolean`);
};

const toDate = (item: TypedValue, withTime: boolean): Conversion => {
  if (typeof item.value !== 'string') return misfit(`${kind(item)} is not a date`);
  const parsed = parseFhirDate(item.value);
  if (!parsed) return misfit(`${kind(item)} is not a FHIR date or dateTime`);
  if ('problem' in parsed) return misfit(parsed.problem);
  if (!withTime) return fit(parsed.date);
  if (!parsed.hasTime) return fit(`${parsed.date}T00:00:00Z`);
  if (parsed.zone === undefined) return misfit('has a time but no time zone');
  return fit(item.value);
};

const toJson = (results: readonly TypedValue[]): Conversion => {
  let nul = false;
  const text = JSON.stringify(
    results.length === 1 ? results[0]?.value : results.map((item) => item.value),
    (key, value) => {
      if (key.includes(NUL) || (typeof value === 'string' && value.includes(NUL))) nul = true;
      return value;
    },
  );
  return nul ? misfit('contains a NUL character, which PostgreSQL cannot store') : fit(text);
};

/**
 * The parameter value of a column from what its FHIRPath yielded: nothing is NULL; one value is
 * converted to the column's type; several values fit only a jsonb column (as an array). Dates:
 * `date` takes a FHIR date or dateTime's calendar date (partial dates: their first day);
 * `timestamptz` takes a dateTime with its zone, and a date as midnight UTC of its first day.
 *
 * @example
 * toSqlValue('date', [{ type: 'date', value: '1987-06' }]); // { value: '1987-06-01' }
 * toSqlValue('integer', [{ type: 'Quantity', value: {...} }]); // { reason: 'a Quantity is not an integer' }
 */
export const toSqlValue = (type: SqlType, results: readonly TypedValue[]): Conversion => {
  if (results.length === 0) return fit(null);
  if (type === 'jsonb') return toJson(results);
  if (results.length > 1)
    return misfit(
      `the FHIRPath yields ${results.length} values and a ${type} column holds one (use first(), or a child table)`,
    );
  const item = results[0] as TypedValue;
  switch (type) {
    case 'text':
      return toText(item);
    case 'integer':
      return toInteger(item);
    case 'numeric':
      return toNumeric(item);
    case 'boolean':
      return toBoolean(item);
    case 'date':
      return toDate(item, false);
    case 'timestamptz':
      return toDate(item, true);
  }
};
