import { SqlTargetError, SqlWriteError } from './errors.js';

/** Names of the SQLSTATEs worth naming in a message (PostgreSQL Appendix A). */
const CONDITION_NAMES: Readonly<Record<string, string>> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42501': 'insufficient_privilege',
  '42703': 'undefined_column',
  '42P01': 'undefined_table',
  '53300': 'too_many_connections',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P03': 'cannot_connect_now',
};

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Terminal SQLSTATEs: class 22 (data exception: the value does not fit) and 23 (integrity constraint
 * violation). Everything else may pass: connection exceptions (08), shutdowns (57P0x), insufficient
 * resources (53), serialization failures and deadlocks (40001, 40P01), and configuration faults every
 * write would hit (missing table 42P01, privileges 42501, authentication 28xxx) that retrying after a
 * fix, or a redrive, resolves.
 */
export const isTerminalSqlState = (sqlState: string): boolean =>
  sqlState.startsWith('22') || sqlState.startsWith('23');

/** What a write was doing when it failed, for the message. */
export interface WriteContext {
  /** `Type/id` of the one resource written, when the statement served one resource. */
  readonly resource?: string;
  /** The table the statement wrote, when it wrote one. */
  readonly table?: string;
}

const field = (error: object, name: string): string | undefined => {
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
};

/**
 * A thrown database or connection error as a SqlWriteError, terminal or not by its SQLSTATE. The
 * message names the resource, table, column or constraint and the SQLSTATE, never PostgreSQL's own
 * message or detail: both quote the offending value (`Key (id)=(...)`, `invalid input syntax ...: "..."`).
 * The original error is not kept as `cause` either (loggers print causes).
 *
 * @example
 * classifySqlError(error, { resource: 'Patient/1', table: 'patient' }).terminal; // true for 23502
 */
export const classifySqlError = (error: unknown, context: WriteContext = {}): SqlTargetError => {
  if (error instanceof SqlTargetError) return error;
  const object = typeof error === 'object' && error !== null ? error : {};
  const code = field(object, 'code');
  const sqlState = code !== undefined && SQLSTATE.test(code) ? code : undefined;
  const table = field(object, 'table') ?? context.table;
  const column = field(object, 'column');
  const constraint = field(object, 'constraint');
  if (sqlState === undefined) {
    // A client-side failure (connection refused or lost, pool timeout): never a verdict on the data.
    const reason = code ?? (error instanceof Error ? error.name : 'unknown error');
    return new SqlWriteError(`PostgreSQL could not be reached or the connection failed (${reason})`, {
      terminal: false,
    });
  }
  const where = [
    context.resource ? `of ${context.resource}` : undefined,
    table ? `to table "${table}"` : undefined,
    column ? `column "${column}"` : undefined,
    constraint ? `constraint "${constraint}"` : undefined,
  ].filter((part) => part !== undefined);
  const condition = CONDITION_NAMES[sqlState];
  return new SqlWriteError(
    `PostgreSQL refused the write${where.length ? ` ${where.join(', ')}` : ''}: SQLSTATE ${sqlState}${condition ? ` ${condition}` : ''}`,
    { terminal: isTerminalSqlState(sqlState), sqlState, table, column, constraint },
  );
};
