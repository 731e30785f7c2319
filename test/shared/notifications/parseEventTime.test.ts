import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../../shared/notifications/parseEventTime.js';

describe('Function: parseEventTime', () => {
  it.each([
    ['2020-05-29T11:44:13.1882432-05:00', '2020-05-29T16:44:13.188Z'],
    ['2020-05-29T11:44:13-05:00', '2020-05-29T16:44:13.000Z'],
    ['2024-12-31T23:59:59.999999999Z', '2024-12-31T23:59:59.999Z'],
    ['2024-02-29T00:00:00+14:00', '2024-02-28T10:00:00.000Z'],
  ])('reads the instant %s precisely', (value, at) => {
    expect(parseEventTime(value)).toEqual({ at, precise: true });
  });

  it.each([
    ['2024-11-05', '2024-11-04T10:00:00.000Z'],
    ['2024-11', '2024-10-31T10:00:00.000Z'],
    ['2024', '2023-12-31T10:00:00.000Z'],
  ])('reads the date %s as its earliest instant in any zone, imprecisely', (value, at) => {
    expect(parseEventTime(value)).toEqual({ at, precise: false });
  });

  it.each([
    ['2024-02-30T10:00:00Z'],
    ['2023-02-29'],
    ['2024-13-01'],
    ['2024-00-10'],
    ['2024-01-01T24:00:00Z'],
    ['2024-01-01T10:60:00Z'],
    ['2024-01-01T10:00:00'],
    ['2024-01-01T10:00Z'],
    ['2024-01-01T10:00:00+15:00'],
    ['2024-01-01T10:00:00.1234567890Z'],
    ['20240101'],
    ['yesterday'],
    [1714521600000],
    [undefined],
  ])('refuses %j', (value) => {
    expect(parseEventTime(value)).toBeUndefined();
  });
});
