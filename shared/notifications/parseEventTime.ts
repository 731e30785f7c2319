import type { EventTime } from './types.js';

/** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
/** A dateTime with a time, seconds and a zone (required once a time is given); up to 9 fraction digits. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A date's zone is unknown: its earliest instant is its UTC midnight minus the largest offset, 14 h. */
const LARGEST_ZONE_OFFSET_MS = 14 * 3_600_000;

/** Date.UTC without its mapping of years 0-99 to 1900-1999. */
const utc = (year: number, month: number, day: number): number => {
  const date = new Date(Date.UTC(2000, 0, 1));
  date.setUTCFullYear(year, month, day);
  return date.getTime();
};

/** Whether year/month/day name a real day (Date would roll 2024-02-30 into March). */
const realDay = (year: number, month: number, day: number): boolean => {
  const date = new Date(utc(year, month, day));
  return month >= 0 && month <= 11 && date.getUTCMonth() === month && date.getUTCDate() === day;
};

const fromDate = (match: RegExpExecArray): EventTime | undefined => {
  const year = Number(match[1]);
  const month = match[2] === undefined ? 0 : Number(match[2]) - 1;
  const day = match[3] === undefined ? 1 : Number(match[3]);
  if (!realDay(year, month, day)) return undefined;
  return { at: new Date(utc(year, month, day) - LARGEST_ZONE_OFFSET_MS).toISOString(), precise: false };
};

const fromDateTime = (value: string, match: RegExpExecArray): EventTime | undefined => {
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number) as number[];
  if (!realDay(year as number, (month as number) - 1, day as number)) return undefined;
  if ((hours as number) > 23 || (minutes as number) > 59 || (seconds as number) > 59) return undefined;
  const zone = match[8] as string;
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4, 6)) > 59)) return undefined;
  // Milliseconds precision: Date.parse reads at most three fraction digits and truncates the rest.
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : { at: new Date(at).toISOString(), precise: true };
};

/**
 * A FHIR `instant`, `dateTime` or `date` as the earliest instant it can denote; undefined when
 * malformed (including impossible days such as 2024-02-30, which Date.parse silently rolls over).
 *
 * @example
 * parseEventTime('2020-05-29T11:44:13.1882432-05:00'); // { at: '2020-05-29T16:44:13.188Z', precise: true }
 * parseEventTime('2024-11-05'); // { at: '2024-11-04T10:00:00.000Z', precise: false }
 */
export const parseEventTime = (value: unknown): EventTime | undefined => {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const dateTime = DATE_TIME.exec(value);
  if (dateTime) return fromDateTime(value, dateTime);
  const date = DATE.exec(value);
  return date ? fromDate(date) : undefined;
};
