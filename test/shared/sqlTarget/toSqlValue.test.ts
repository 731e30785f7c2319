import type { TypedValue } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { toSqlValue } from '../../../shared/sqlTarget/toSqlValue.js';

const one = (type: string, value: unknown): TypedValue[] => [{ type, value }];

describe('Function: toSqlValue', () => {
  it('maps nothing to NULL for every type', () => {
    for (const type of ['text', 'integer', 'numeric', 'boolean', 'date', 'timestamptz', 'jsonb'] as const)
      expect(toSqlValue(type, [])).toEqual({ value: null });
  });

  it('text: strings as they are, numbers and booleans as text; not objects, not NUL characters', () => {
    expect(toSqlValue('text', one('string', 'female'))).toEqual({ value: 'female' });
    expect(toSqlValue('text', one('decimal', 1.5))).toEqual({ value: '1.5' });
    expect(toSqlValue('text', one('boolean', true))).toEqual({ value: 'true' });
    expect(toSqlValue('text', one('HumanName', { family: 'x' }))).toEqual({
      reason: 'a HumanName is not a text value',
    });
    expect(toSqlValue('text', one('Jane Smith', {}))).toEqual({
      reason: 'a value of another type is not a text value',
    });
    expect(toSqlValue('text', one('string', 'a\u0000b'))).toEqual({
      reason: 'contains a NUL character, which PostgreSQL cannot store',
    });
  });

  it('integer: whole numbers within PostgreSQL integer range, also as canonical text', () => {
    expect(toSqlValue('integer', one('integer', 42))).toEqual({ value: 42 });
    expect(toSqlValue('integer', one('string', '-7'))).toEqual({ value: -7 });
    expect(toSqlValue('integer', one('integer', 2_147_483_647))).toEqual({ value: 2_147_483_647 });
    expect(toSqlValue('integer', one('integer', 2_147_483_648))).toEqual({
      reason: 'is outside the range of an integer column',
    });
    expect(toSqlValue('integer', one('decimal', 1.5))).toEqual({ reason: 'a decimal is not an integer' });
    expect(toSqlValue('integer', one('string', '1e3'))).toEqual({ reason: 'a string is not an integer' });
  });

  it('numeric: finite numbers and decimal text', () => {
    expect(toSqlValue('numeric', one('decimal', 176.2))).toEqual({ value: 176.2 });
    expect(toSqlValue('numeric', one('string', '-0.000123'))).toEqual({ value: '-0.000123' });
    expect(toSqlValue('numeric', one('string', '12abc'))).toEqual({ reason: 'a string is not a number' });
    expect(toSqlValue('numeric', one('Quantity', { value: 1 }))).toEqual({
      reason: 'a Quantity is not a number',
    });
  });

  it('boolean: booleans and their text', () => {
    expect(toSqlValue('boolean', one('boolean', false))).toEqual({ value: false });
    expect(toSqlValue('boolean', one('string', 'true'))).toEqual({ value: true });
    expect(toSqlValue('boolean', one('string', 'yes'))).toEqual({ reason: 'a string is not a boolean' });
  });

  it('date: the calendar date of a FHIR date or dateTime; partial dates as their first day', () => {
    expect(toSqlValue('date', one('date', '1987-06-15'))).toEqual({ value: '1987-06-15' });
    expect(toSqlValue('date', one('date', '1987-06'))).toEqual({ value: '1987-06-01' });
    expect(toSqlValue('date', one('date', '1987'))).toEqual({ value: '1987-01-01' });
    expect(toSqlValue('date', one('dateTime', '2012-06-02T23:37:03-05:00'))).toEqual({ value: '2012-06-02' });
    expect(toSqlValue('date', one('date', '2023-02-29'))).toEqual({ reason: 'is not a calendar date' });
    expect(toSqlValue('date', one('date', '0000-01-01'))).toEqual({ reason: 'is not a calendar date' });
    expect(toSqlValue('date', one('string', 'yesterday'))).toEqual({
      reason: 'a string is not a FHIR date or dateTime',
    });
    expect(toSqlValue('date', one('integer', 2020))).toEqual({ reason: 'an integer is not a date' });
  });

  it('timestamptz: a dateTime with its zone; a date as midnight UTC; a time without zone does not fit', () => {
    expect(toSqlValue('timestamptz', one('instant', '2012-06-02T10:37:03.724+00:00'))).toEqual({
      value: '2012-06-02T10:37:03.724+00:00',
    });
    expect(toSqlValue('timestamptz', one('date', '2012-06'))).toEqual({ value: '2012-06-01T00:00:00Z' });
    expect(toSqlValue('timestamptz', one('dateTime', '2012-06-02T10:37:03'))).toEqual({
      reason: 'has a time but no time zone',
    });
    expect(toSqlValue('timestamptz', one('dateTime', '2012-06-02T24:00:00Z'))).toEqual({
      reason: 'is not a time of day',
    });
    expect(toSqlValue('timestamptz', one('dateTime', '2012-06-02T10:00:00+15:00'))).toEqual({
      reason: 'has an impossible time zone offset',
    });
  });

  it('jsonb: one value as JSON, several as a JSON array; NUL characters do not fit', () => {
    expect(toSqlValue('jsonb', one('Quantity', { value: 1, unit: 'kg' }))).toEqual({
      value: '{"value":1,"unit":"kg"}',
    });
    expect(toSqlValue('jsonb', [...one('code', 'food'), ...one('code', 'medication')])).toEqual({
      value: '["food","medication"]',
    });
    expect(toSqlValue('jsonb', one('Extension', { valueString: 'a\u0000' }))).toEqual({
      reason: 'contains a NUL character, which PostgreSQL cannot store',
    });
  });

  it('several values fit no other type: the mapping must say which one (first()) or use a child table', () => {
    expect(toSqlValue('text', [...one('string', 'a'), ...one('string', 'b')])).toEqual({
      reason: 'the FHIRPath yields 2 values and a text column holds one (use first(), or a child table)',
    });
  });
});
