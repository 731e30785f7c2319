import { describe, expect, it } from 'vitest';
import { classifySqlError, isTerminalSqlState } from '../../../shared/sqlTarget/classifySqlError.js';
import { SqlWriteError, ValueDoesNotFitError } from '../../../shared/sqlTarget/errors.js';

/** The shape node-postgres gives a server error: message and detail quote the value. */
const pgError = (code: string, fields: Record<string, string> = {}) =>
  Object.assign(new Error(`invalid input syntax for type integer: "Jane Smith"`), {
    code,
    detail: 'Key (id)=(Jane Smith) already exists.',
    ...fields,
  });

describe('Function: classifySqlError', () => {
  it('makes data exceptions (22xxx) and integrity violations (23xxx) terminal', () => {
    for (const code of ['22001', '22003', '22P02', '23502', '23503', '23505', '23514'])
      expect(classifySqlError(pgError(code)).terminal).toBe(true);
    expect(isTerminalSqlState('22007')).toBe(true);
  });

  it('makes connection, shutdown, resource, serialization and configuration failures transient', () => {
    for (const code of [
      '08006',
      '08001',
      '57P01',
      '57P03',
      '53300',
      '53100',
      '40001',
      '40P01',
      '42P01',
      '28P01',
    ])
      expect(classifySqlError(pgError(code)).terminal).toBe(false);
  });

  it('makes client-side failures (refused, reset, pool timeout) transient, naming the code only', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const error = classifySqlError(refused);
    expect(error.terminal).toBe(false);
    expect(error.message).toBe('PostgreSQL could not be reached or the connection failed (ECONNREFUSED)');
    expect(classifySqlError(new Error('Connection terminated unexpectedly')).message).toBe(
      'PostgreSQL could not be reached or the connection failed (Error)',
    );
  });

  it('names resource, table, column and constraint and the SQLSTATE, never the message or detail', () => {
    const error = classifySqlError(pgError('23502', { table: 'patient', column: 'gender' }), {
      resource: 'Patient/p1',
    });
    expect(error).toBeInstanceOf(SqlWriteError);
    expect(error.message).toBe(
      'PostgreSQL refused the write of Patient/p1, to table "patient", column "gender": SQLSTATE 23502 not_null_violation',
    );
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error })).not.toContain('Jane');
    const check = classifySqlError(pgError('23514', { constraint: 'gender_known' }), { table: 'patient' });
    expect(check.message).toBe(
      'PostgreSQL refused the write to table "patient", constraint "gender_known": SQLSTATE 23514 check_violation',
    );
    expect(check).toMatchObject({ sqlState: '23514', table: 'patient', constraint: 'gender_known' });
  });

  it('passes the SQL target own errors through unchanged', () => {
    const own = new ValueDoesNotFitError(
      { table: 't', column: 'c', resourceType: 'Patient', id: 'p' },
      'why',
    );
    expect(classifySqlError(own)).toBe(own);
  });
});
