import { SQL_IDENTIFIER_PATTERN } from './constants.js';
import { SqlTargetError } from './errors.js';

export const isSqlIdentifier = (value: unknown): value is string =>
  typeof value === 'string' && SQL_IDENTIFIER_PATTERN.test(value);

/**
 * A name as a quoted SQL identifier. Names come from a validated mapping; the check here makes sure
 * nothing else ever reaches SQL text (values always go as parameters).
 *
 * @example
 * quoteIdentifier('patient_name'); // '"patient_name"'
 */
export const quoteIdentifier = (name: string): string => {
  if (!isSqlIdentifier(name)) throw new SqlTargetError('Not a valid SQL identifier', { terminal: true });
  return `"${name}"`;
};

/** `"schema"."table"`. */
export const qualifiedName = (schema: string, table: string): string =>
  `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
